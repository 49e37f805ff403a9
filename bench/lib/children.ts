import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { createInterface } from 'node:readline';

/** Every child started through here, so an interrupted bench can end exactly these. */
const live = new Set<ChildProcess>();

export function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

/**
 * Spawns `command args`, pinned to one CPU with `taskset -c` when `cpu` is given. taskset execs the
 * command, so the child's pid is the command's own (what /proc/<pid>/stat is read for).
 */
export function spawnPinned(
  cpu: number | null,
  command: string,
  args: readonly string[],
  options: SpawnOptions,
): ChildProcess {
  const child =
    cpu === null
      ? spawn(command, args, options)
      : spawn('taskset', ['-c', String(cpu), command, ...args], options);
  live.add(child);
  child.once('exit', () => live.delete(child));
  return child;
}

export function liveChildren(): ChildProcess[] {
  return [...live];
}

/**
 * Resolves with the first stdout line that matches `pattern`; every line (before and after) also
 * goes to `onLine`, and stdout keeps being drained so a chatty child never blocks on a full pipe.
 */
export function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  timeoutMs: number,
  onLine: (line: string) => void = () => {},
): Promise<RegExpExecArray> {
  const stdout = child.stdout;
  if (!stdout) return Promise.reject(new Error('child has no stdout pipe'));
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (err: Error | null, match?: RegExpExecArray) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(match as RegExpExecArray);
    };
    const onExit = (code: number | null, signal: string | null) =>
      finish(new Error(`exited (${signal ?? code}) before printing ${pattern}`));
    const timer = setTimeout(() => finish(new Error(`no ${pattern} within ${timeoutMs} ms`)), timeoutMs);
    child.once('exit', onExit);
    createInterface({ input: stdout }).on('line', (line) => {
      onLine(line);
      const m = pattern.exec(line);
      if (m) finish(null, m);
    });
  });
}

/** Resolves with the first IPC message `accept` maps to a value; rejects if the child exits first. */
export function waitForMessage<T>(
  child: ChildProcess,
  accept: (msg: unknown) => T | undefined,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    const onMessage = (msg: unknown) => {
      let value: T | undefined;
      try {
        value = accept(msg);
      } catch (err) {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
        return;
      }
      if (value === undefined) return;
      cleanup();
      resolve(value);
    };
    const onExit = (code: number | null, signal: string | null) => {
      cleanup();
      reject(new Error(`${what}: the child exited (${signal ?? code}) first`));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`${what}: nothing within ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** Resolves when the child has exited (at once if it already has). */
export function waitForExit(child: ChildProcess): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** SIGTERM, then SIGKILL if the child is still there after `graceMs`. */
export async function stopChild(child: ChildProcess, graceMs = 10_000): Promise<Exit> {
  const exited = waitForExit(child);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
