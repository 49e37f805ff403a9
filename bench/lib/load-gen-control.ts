import type { ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { setTimeout as delay } from 'node:timers/promises';
import { waitForMessage } from './children.ts';
import type { LoadGenMessage, RunnerMessage } from './messages.ts';

/** The load generator may take this long to join everyone: a base plus a little per room. */
const JOIN_TIMEOUT_BASE_MS = 30_000;
const JOIN_TIMEOUT_PER_ROOM_MS = 200;

export interface LoadGenControl {
  /** A message filter for waitForMessage: the generator's `type` message, picked; an error throws. */
  fromGen<T>(type: string, pick: (m: LoadGenMessage) => T | undefined): (raw: unknown) => T | undefined;
  tell(msg: RunnerMessage): void;
  /** How long joining took, in seconds. */
  joinS: number;
}

/**
 * Drives a started load generator to the start of its window, for every bench that runs one: waits
 * for its `joined` message (every client in its room), says how long that took, then lets the
 * warm-up pass. No sleeping beyond the warm-up the bench asked for.
 */
export async function joinedLoadGen(
  loadGen: ChildProcess,
  opts: { rooms: number; tag: string; seconds: number; warmupS: number },
): Promise<LoadGenControl> {
  const control: Omit<LoadGenControl, 'joinS'> = {
    fromGen:
      <T>(type: string, pick: (m: LoadGenMessage) => T | undefined) =>
      (raw: unknown) => {
        const m = raw as LoadGenMessage;
        if (m.type === 'error') throw new Error(`load generator: ${m.message}`);
        return m.type === type ? pick(m) : undefined;
      },
    tell: (msg) => loadGen.send(msg),
  };
  const joinStarted = performance.now();
  await waitForMessage(
    loadGen,
    control.fromGen('joined', (m) => (m.type === 'joined' ? m : undefined)),
    JOIN_TIMEOUT_BASE_MS + opts.rooms * JOIN_TIMEOUT_PER_ROOM_MS,
    `${opts.tag} joining`,
  );
  const joinS = (performance.now() - joinStarted) / 1000;
  console.log(
    `${opts.tag} ${opts.rooms * 3} clients joined in ${joinS.toFixed(1)} s; measuring ${opts.seconds} s`,
  );
  await delay(opts.warmupS * 1000);
  return { ...control, joinS };
}
