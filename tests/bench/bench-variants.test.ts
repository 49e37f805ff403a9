// The bench's pure parts: which variants run in which order, and when the direct fan-out's lead
// over engine.io's path counts as more than run-to-run noise.
import { describe, expect, it } from 'vitest';
import { compareFanout, fanoutVerdict } from '../../bench/lib/fanout-comparison.ts';
import { parseVariants, passOrder } from '../../bench/lib/variants.ts';

describe('bench variants', () => {
  it('reads a list of known variants, ours and the floor always in it', () => {
    expect(parseVariants('ours,floor')).toEqual(['ours', 'floor']);
    expect(parseVariants(' ours , ours-engine,floor')).toEqual(['ours', 'ours-engine', 'floor']);
    expect(() => parseVariants('ours,ours-engine')).toThrow(/must include "floor"/);
    expect(() => parseVariants('ours-engine,floor')).toThrow(/must include "ours"/);
    expect(() => parseVariants('ours,floor,ours')).toThrow(/twice/);
    expect(() => parseVariants('ours,floor,colyseus')).toThrow(/unknown "colyseus"/);
  });

  it('rotates the order from pass to pass so no variant always runs first', () => {
    const three = parseVariants('ours,ours-engine,floor');
    const orders = [1, 2, 3].map((pass) => passOrder(three, pass));
    expect(orders).toEqual([
      ['ours', 'ours-engine', 'floor'],
      ['ours-engine', 'floor', 'ours'],
      ['floor', 'ours', 'ours-engine'],
    ]);
    // Each pass still runs every variant exactly once.
    for (const o of orders) expect([...o].sort()).toEqual([...three].sort());
    expect(passOrder(['ours', 'floor'], 2)).toEqual(['floor', 'ours']);
    expect(passOrder(['ours', 'floor'], 3)).toEqual(['ours', 'floor']);
  });
});

describe('direct vs engine fan-out comparison', () => {
  const passes = (...cpu: number[]) => cpu.map((cpuMsPerRoomSec, i) => ({ pass: i + 1, cpuMsPerRoomSec }));

  it('pairs the passes and calls a lead larger than both spreads beyond noise', () => {
    const c = compareFanout(passes(2.0, 2.1), passes(2.4, 2.45), 'direct');
    expect(c.perPass).toEqual([
      { pass: 1, ours: 2.0, oursEngine: 2.4, ratio: 0.833 },
      { pass: 2, ours: 2.1, oursEngine: 2.45, ratio: 0.857 },
    ]);
    expect(c.ours).toEqual({ mean: 2.05, min: 2.0, max: 2.1, spread: 0.1 });
    expect(c.oursEngine).toEqual({ mean: 2.425, min: 2.4, max: 2.45, spread: 0.05 });
    expect(c.cpuRatio).toBe(0.845);
    expect(c.differenceMs).toBe(-0.375);
    expect(c.largerSpreadMs).toBe(0.1);
    expect(c.exceedsNoise).toBe(true);
    expect(fanoutVerdict(c)).toMatch(/^ours cheaper by 0\.375 .*beyond run-to-run noise/);
  });

  it('calls a difference inside the larger spread noise, whichever variant moved', () => {
    // ours-engine moved 0.4 between passes: a 0.2 lead of ours proves nothing.
    const c = compareFanout(passes(2.2, 2.2), passes(2.2, 2.6), 'direct');
    expect(c.differenceMs).toBe(-0.2);
    expect(c.largerSpreadMs).toBe(0.4);
    expect(c.exceedsNoise).toBe(false);
    expect(fanoutVerdict(c)).toMatch(/run-to-run noise$/);
  });

  it('gives no verdict from one pass, and refuses a pass where ours-engine did not run', () => {
    const one = compareFanout(passes(2.5), passes(2.0), 'direct');
    expect(one.exceedsNoise).toBeNull();
    expect(one.differenceMs).toBe(0.5);
    expect(fanoutVerdict(one)).toMatch(/^ours-engine cheaper by 0\.500 .*one pass/);
    expect(() => compareFanout(passes(2.0, 2.1), passes(2.0), 'direct')).toThrow(/pass 2/);
  });
});
