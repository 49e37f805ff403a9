/**
 * An open-loop HTTP load: requests go out at a fixed rate whatever the answers do (a slow server
 * gets more requests in flight, not fewer), over keep-alive connections, and each is timed from
 * the moment it was written to the end of its answer. The generator's own event-loop delay is
 * measured too: when it is large, the latencies include the generator's lateness.
 */
import { Agent, request } from 'node:http';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { LinearHistogram } from '../lib/stats.ts';

/** How often the sender wakes up; each time it sends what is due, so the rate holds on average. */
const SEND_EVERY_MS = 5;
/** Keep-alive connections at most: enough that a slow answer never holds the rate back. */
const MAX_SOCKETS = 64;
const REQUEST_TIMEOUT_MS = 10_000;

export interface HttpLoadResult {
  sent: number;
  ok: number;
  /** Answers other than 200, by status; network errors and timeouts under `error`. */
  failures: Record<string, number>;
  seconds: number;
  /** Completed requests per second. */
  throughput: number;
  latencyMs: { p50: number; p99: number; max: number };
  /** The generator's own event-loop delay (ms): how late it may have been in sending and timing. */
  generatorLoopDelayMs: { p99: number; max: number };
  /** Requests sent per path kind (e.g. leaderboard, player). */
  byKind: Record<string, number>;
}

/**
 * Sends `rate` requests per second for `seconds` to `baseUrl`, each path from `nextPath()`, and
 * waits for the last answers (at most REQUEST_TIMEOUT_MS).
 */
export async function runHttpLoad(opts: {
  baseUrl: string;
  rate: number;
  seconds: number;
  nextPath: () => { kind: string; path: string };
}): Promise<HttpLoadResult> {
  const base = new URL(opts.baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: MAX_SOCKETS });
  const latency = new LinearHistogram(0.05, 2_000);
  const loop = monitorEventLoopDelay({ resolution: 2 });
  const failures: Record<string, number> = {};
  const byKind: Record<string, number> = {};
  const fail = (why: string) => (failures[why] = (failures[why] ?? 0) + 1);
  let sent = 0;
  let ok = 0;
  let inFlight = 0;
  let allSent = false;
  let drained: () => void = () => {};
  const done = new Promise<void>((resolve) => (drained = resolve));

  const fire = () => {
    const { kind, path } = opts.nextPath();
    byKind[kind] = (byKind[kind] ?? 0) + 1;
    sent += 1;
    inFlight += 1;
    const started = performance.now();
    const finish = () => {
      inFlight -= 1;
      if (allSent && inFlight === 0) drained();
    };
    const req = request(
      { host: base.hostname, port: base.port, path, agent, timeout: REQUEST_TIMEOUT_MS },
      (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          latency.record(performance.now() - started);
          if (res.statusCode === 200) ok += 1;
          else fail(String(res.statusCode));
          finish();
        });
        res.on('error', () => {
          fail('error');
          finish();
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => {
      fail('error');
      finish();
    });
    req.end();
  };

  loop.enable();
  const t0 = performance.now();
  const endAt = t0 + opts.seconds * 1000;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = Math.min(performance.now(), endAt);
      const due = Math.floor(((now - t0) * opts.rate) / 1000);
      while (sent < due) fire();
      if (now >= endAt) resolve();
      else setTimeout(tick, SEND_EVERY_MS);
    };
    tick();
  });
  allSent = true;
  if (inFlight > 0) await done;
  const seconds = (performance.now() - t0) / 1000;
  loop.disable();
  agent.destroy();
  return {
    sent,
    ok,
    failures,
    seconds,
    throughput: ok / seconds,
    latencyMs: { p50: latency.percentile(0.5), p99: latency.percentile(0.99), max: latency.max },
    generatorLoopDelayMs: { p99: loop.percentile(99) / 1e6, max: loop.max / 1e6 },
    byKind,
  };
}
