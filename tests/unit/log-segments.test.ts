import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InputRecorder,
  logPosition,
  START_MARK,
  type InputLog,
  type LogMark,
  type LogSegment,
} from '../../shared/replay/input-log.ts';
import { encodeInputLog } from '../../shared/replay/log-codec.ts';
import { appendSegment, isLogSegment, joinSegments } from '../../shared/replay/log-segments.ts';
import type { Intent } from '../../shared/sim/types.ts';

const intentArb = fc.constantFrom<Intent>(-1, 0, 1);

/** A stretch of recording: the same step repeated (a held key) or idle ticks (a pause). */
type Chunk = { kind: 'step'; left: Intent; right: Intent; times: number } | { kind: 'idle'; times: number };

const chunkArb: fc.Arbitrary<Chunk> = fc.oneof(
  fc.record({
    kind: fc.constant('step' as const),
    left: intentArb,
    right: intentArb,
    times: fc.integer({ min: 1, max: 12 }),
  }),
  fc.record({ kind: fc.constant('idle' as const), times: fc.integer({ min: 1, max: 12 }) }),
);

/** What happens to one save: it lands and is acknowledged, lands but its reply is lost, never lands… */
type SaveFate = 'ok' | 'reply-lost' | 'write-lost' | 'duplicated' | 'reset' | 'rewind';

const fateArb = fc.constantFrom<SaveFate>(
  'ok',
  'ok',
  'ok',
  'reply-lost',
  'write-lost',
  'duplicated',
  'reset',
  'rewind',
);

/** Each recorded call, one at a time, so a save may cut anywhere (inside a run or an idle span). */
function* calls(chunks: readonly Chunk[]): Generator<(r: InputRecorder) => void> {
  for (const c of chunks) {
    for (let i = 0; i < c.times; i += 1)
      yield c.kind === 'step' ? (r) => r.record(c.left, c.right) : (r) => r.idle();
  }
}

/**
 * Records `chunks`, saving after the calls picked by `saves` the way RoomOwnership does: from the
 * mark of the last acknowledged save, with every kind of failure. Returns the recorder and the
 * segments in the order they reached Redis (a reset empties the list first).
 */
function recordInSegments(
  chunks: readonly Chunk[],
  saves: readonly { at: number; fate: SaveFate; pick: number }[],
): { recorder: InputRecorder; written: LogSegment[] } {
  const recorder = new InputRecorder();
  let written: LogSegment[] = [];
  let acked: Readonly<LogMark> = START_MARK;
  const marks: LogMark[] = [];
  const save = (fate: SaveFate, pick: number) => {
    const mark = recorder.mark();
    marks.push(mark);
    if (fate === 'reset') {
      written = [recorder.since(START_MARK)];
      acked = mark;
      return;
    }
    if (fate === 'rewind') {
      // An older piece again, from any earlier position the chain reaches (even inside a segment).
      const end = written.length > 0 ? (written[written.length - 1] as LogSegment).to : 0;
      const reachable = marks.filter((m) => m.position <= end);
      const from = reachable[pick % reachable.length] ?? START_MARK;
      written.push(recorder.since(from));
      return;
    }
    const segment = recorder.since(acked);
    if (fate !== 'write-lost') written.push(segment);
    if (fate === 'duplicated') written.push(structuredClone(segment));
    if (fate === 'ok' || fate === 'duplicated') acked = mark;
  };
  let n = 0;
  let next = 0;
  const sorted = [...saves].sort((a, b) => a.at - b.at);
  for (const call of calls(chunks)) {
    call(recorder);
    n += 1;
    while (next < sorted.length && (sorted[next] as { at: number }).at <= n) {
      const s = sorted[next] as { fate: SaveFate; pick: number };
      save(s.fate, s.pick);
      next += 1;
    }
  }
  save('ok', 0);
  return { recorder, written };
}

/** The same calls on one recorder, never cut. */
function recordWhole(chunks: readonly Chunk[]): InputLog {
  const recorder = new InputRecorder();
  for (const call of calls(chunks)) call(recorder);
  return recorder.log();
}

const savesArb = fc.array(
  fc.record({ at: fc.nat({ max: 400 }), fate: fateArb, pick: fc.nat({ max: 1000 }) }),
  { maxLength: 40 },
);

describe('log segments', () => {
  it('any recording cut at any marks, with lost replies, lost writes, duplicates, resets and rewinds, joins into exactly the uncut log', () => {
    fc.assert(
      fc.property(fc.array(chunkArb, { maxLength: 40 }), savesArb, (chunks, saves) => {
        const { recorder, written } = recordInSegments(chunks, saves);
        const whole = recordWhole(chunks);
        expect(recorder.log()).toEqual(whole);
        // Through JSON, as the segments travel to Redis and back.
        const fromJson = written.map((s) => JSON.parse(JSON.stringify(s)) as unknown);
        expect(fromJson.every(isLogSegment)).toBe(true);
        const joined = joinSegments(fromJson as LogSegment[], recorder.position);
        expect(joined).toEqual(whole);
        expect(encodeInputLog(joined as InputLog)).toEqual(encodeInputLog(whole));
      }),
      { numRuns: 500 },
    );
  });

  it('a recorder resumed from a joined log goes on recording and cutting as if it had never moved', () => {
    fc.assert(
      fc.property(
        fc.array(chunkArb, { maxLength: 20 }),
        fc.array(chunkArb, { maxLength: 20 }),
        savesArb,
        (before, after, saves) => {
          const first = recordInSegments(before, saves);
          const joined = joinSegments(first.written, first.recorder.position);
          if (!joined) throw new Error('the first part did not join');
          const resumed = InputRecorder.resume(joined);
          expect(resumed.position).toBe(first.recorder.position);
          expect(resumed.position).toBe(logPosition(joined));
          // The new node starts its list again with the whole log so far, then adds segments.
          const mark = resumed.mark();
          const written = [resumed.since(START_MARK)];
          for (const call of calls(after)) call(resumed);
          written.push(resumed.since(mark));
          expect(joinSegments(written, resumed.position)).toEqual(recordWhole([...before, ...after]));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a run and an idle span cut in the middle merge back into one', () => {
    const r = new InputRecorder();
    r.record(1, 0);
    r.record(1, 0);
    r.idle();
    const mark = r.mark();
    const head = r.since(START_MARK);
    r.idle();
    r.record(1, -1);
    const tail = r.since(mark);
    expect(tail).toEqual({
      from: 3,
      to: 5,
      steps: 1,
      runs: [
        [1, 1],
        [-1, 1],
      ],
      idle: [2, 1],
    });
    const log: InputLog = { steps: 0, runs: [[], []], idle: [] };
    appendSegment(log, head);
    appendSegment(log, tail);
    expect(log).toEqual({
      steps: 3,
      runs: [
        [1, 3],
        [0, 2, -1, 1],
      ],
      idle: [2, 2],
    });
    expect(log).toEqual(r.log());
  });

  it('a chain with a gap, one that stops short or runs past its end, or a malformed piece gives no log', () => {
    const r = new InputRecorder();
    const marks: LogMark[] = [START_MARK];
    const pieces: LogSegment[] = [];
    for (let i = 0; i < 30; i += 1) {
      if (i % 7 === 3) r.idle();
      else r.record(((i % 3) - 1) as Intent, 0);
      if (i % 10 === 9) {
        pieces.push(r.since(marks[marks.length - 1] as LogMark));
        marks.push(r.mark());
      }
    }
    expect(pieces.map((p) => [p.from, p.to])).toEqual([
      [0, 10],
      [10, 20],
      [20, 30],
    ]);
    expect(joinSegments(pieces, 30)).toEqual(r.log());
    expect(joinSegments([pieces[0], pieces[2]] as LogSegment[], 30)).toBeNull();
    expect(joinSegments(pieces.slice(0, 2), 30)).toBeNull();
    expect(joinSegments(pieces, 25)).toBeNull();
    expect(joinSegments([], 0)).toEqual({ steps: 0, runs: [[], []], idle: [] });
    expect(joinSegments([], 30)).toBeNull();
    const bad = structuredClone(pieces);
    (bad[1] as LogSegment).runs[0].push(1, 1);
    expect(isLogSegment(bad[1])).toBe(false);
    expect(joinSegments(bad, 30)).toBeNull();
    // A later piece that starts inside an earlier one replaces what it overlaps.
    expect(joinSegments([...pieces, r.since(marks[1] as LogMark)], 30)).toEqual(r.log());
    // A stale shorter piece written last leaves the chain ending early: no log, not a wrong one.
    expect(joinSegments([...pieces, pieces[1] as LogSegment], 30)).toBeNull();
  });
});
