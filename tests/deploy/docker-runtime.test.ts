// There is no Docker engine where the tests run, so this test keeps the Dockerfile honest by doing what
// its runtime stage (the last FROM) does, outside Docker: it reads the stage's COPY, RUN npm ci, ENV,
// USER, EXPOSE, HEALTHCHECK and CMD, copies the same files from an existing build into a temp folder,
// runs the same production-only install there, starts the same CMD and checks the server it gets.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join, posix } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../server/config.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REQUIRED_BUILD = ['dist/client/index.html', 'dist/server/main.js'];
const READY_LINE = /Pong Arena is running/;
const INSTALL_TIMEOUT_MS = 240_000;
const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 10_000;
const HTTP_TIMEOUT_MS = 5_000;
const HEALTHCHECK_TIMEOUT_MS = 15_000;
/** A well-formed room code: invite links (/r/<code>) are client routes served as index.html. */
const INVITE_PATH = '/r/AAAAAAAAAAAA';

// ---------------------------------------------------------------------------------------------------
// Reading the Dockerfile: just enough of its syntax for the instructions the runtime stage may use.

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  image: string;
  name: string | null;
  instructions: Instruction[];
}

/** Splits a Dockerfile into stages of instructions (comments dropped, `\` continuations joined). */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  let pending = '';
  let pendingLine = 0;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const trimmed = raw.trim();
    if (trimmed.startsWith('#') || (trimmed === '' && pending === '')) return;
    if (pending === '') pendingLine = index + 1;
    const continued = trimmed.endsWith('\\');
    pending += (pending ? ' ' : '') + (continued ? trimmed.slice(0, -1).trim() : trimmed);
    if (continued && index < lines.length - 1) return;
    const match = /^(\S+)\s*(.*)$/.exec(pending);
    pending = '';
    if (!match) return;
    const keyword = (match[1] ?? '').toUpperCase();
    const args = match[2] ?? '';
    if (keyword === 'FROM') {
      const [image = '', as, name] = args.split(/\s+/).filter((t) => !t.startsWith('--'));
      stages.push({ image, name: as?.toUpperCase() === 'AS' && name ? name : null, instructions: [] });
      return;
    }
    const stage = stages.at(-1);
    if (!stage) throw new Error(`Dockerfile line ${pendingLine}: ${keyword} before the first FROM`);
    stage.instructions.push({ keyword, args, line: pendingLine });
  });
  return stages;
}

/** Exec form (`["node", "x.js"]`) or null for shell form. */
function execForm(args: string): string[] | null {
  if (!args.trim().startsWith('[')) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((a) => typeof a === 'string')) {
    throw new Error(`not an exec-form array of strings: ${args}`);
  }
  return parsed;
}

/** `ENV A=1 B="two words"` or the legacy `ENV A value`. */
function parseEnv(args: string): Record<string, string> {
  const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(args);
  if (legacy && !/^[A-Za-z_][A-Za-z0-9_]*=/.test(args)) return { [legacy[1] ?? '']: legacy[2] ?? '' };
  const env: Record<string, string> = {};
  for (const m of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|'([^']*)'|\S*)/g)) {
    env[m[1] ?? ''] = m[3] ?? m[4] ?? m[2] ?? '';
  }
  return env;
}

/** Splits `--flag=value` options off the front of an instruction's arguments. */
function takeFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest); m; m = /^--([a-z-]+)(?:=(\S*))?\s*/.exec(rest)) {
    flags.set(m[1] ?? '', m[2] ?? '');
    rest = rest.slice(m[0].length);
  }
  return { flags, rest };
}

function lastWorkdir(stage: Stage): string {
  const workdirs = stage.instructions.filter((i) => i.keyword === 'WORKDIR');
  return posix.resolve('/', workdirs.at(-1)?.args.trim() ?? '/');
}

/** A path inside `base` as a relative path, or null when it lies outside. */
function inside(base: string, path: string): string | null {
  const rel = posix.relative(base, path);
  return rel.startsWith('..') || posix.isAbsolute(rel) ? null : rel;
}

interface Copy {
  /** Relative to the repository root (the build context, or a build stage's WORKDIR). */
  from: string;
  /** Relative to the runtime stage's WORKDIR. */
  to: string;
  /** The destination is a folder the sources go into (trailing `/` or several sources). */
  intoFolder: boolean;
}

/** What the runtime stage does, in the terms this test can replay. */
interface RuntimePlan {
  image: string;
  /** The environment of the running container (every ENV of the stage). */
  env: Record<string, string>;
  /** The environment the install ran with (ENV before that RUN). */
  installEnv: Record<string, string>;
  copies: Copy[];
  install: string[];
  /** Every install-like command the stage runs (npm ci/install, yarn, pnpm). */
  installs: string[];
  user: string | null;
  exposed: number[];
  healthcheck: string[] | null;
  cmd: string[] | null;
  cmdShellForm: boolean;
}

const INSTALL_COMMAND = /^(npm\s+(ci|install|i|in|isntall|add)|yarn|pnpm|bun)\b/;

function runtimePlan(stages: Stage[]): RuntimePlan {
  const stage = stages.at(-1);
  if (!stage) throw new Error('the Dockerfile has no FROM');
  const plan: RuntimePlan = {
    image: stage.image,
    env: {},
    installEnv: {},
    copies: [],
    install: [],
    installs: [],
    user: null,
    exposed: [],
    healthcheck: null,
    cmd: null,
    cmdShellForm: false,
  };
  let workdir = '/';
  for (const { keyword, args, line } of stage.instructions) {
    const where = `Dockerfile line ${line} (${keyword})`;
    switch (keyword) {
      case 'WORKDIR':
        workdir = posix.resolve(workdir, args.trim());
        break;
      case 'ENV':
        Object.assign(plan.env, parseEnv(args));
        break;
      case 'USER':
        plan.user = args.trim();
        break;
      case 'EXPOSE':
        plan.exposed.push(...args.split(/\s+/).map((p) => Number(p.split('/')[0])));
        break;
      case 'COPY':
      case 'ADD': {
        const { flags, rest } = takeFlags(args);
        const parts = execForm(rest) ?? rest.split(/\s+/);
        const dest = parts.at(-1);
        const sources = parts.slice(0, -1);
        if (!dest || sources.length === 0) throw new Error(`${where}: no source or destination`);
        const target = inside(workdir, posix.resolve(workdir, dest));
        if (target === null) throw new Error(`${where}: ${dest} is outside WORKDIR ${workdir}`);
        const fromStage = flags.get('from');
        const buildStage = fromStage === undefined ? null : stages.find((s) => s.name === fromStage);
        if (fromStage !== undefined && !buildStage) throw new Error(`${where}: unknown stage ${fromStage}`);
        for (const source of sources) {
          if (/[*?[]/.test(source)) throw new Error(`${where}: wildcards are not replayed (${source})`);
          let from: string | null = posix.normalize(source).replace(/\/$/, '');
          if (buildStage) {
            // The build stage runs in its WORKDIR on a copy of the repository: map its paths back.
            from = inside(lastWorkdir(buildStage), posix.resolve('/', source));
            if (from === null) throw new Error(`${where}: ${source} is outside stage ${fromStage}'s WORKDIR`);
          }
          plan.copies.push({ from, to: target, intoFolder: dest.endsWith('/') || sources.length > 1 });
        }
        break;
      }
      case 'RUN': {
        const { rest } = takeFlags(args);
        const commands = execForm(rest) ? [(execForm(rest) ?? []).join(' ')] : rest.split(/&&|\|\||;/);
        for (const command of commands.map((c) => c.trim())) {
          if (!INSTALL_COMMAND.test(command)) continue;
          plan.installs.push(command);
          if (/^npm\s+ci\b/.test(command)) {
            if (/["'$`\\|<>()]/.test(command)) throw new Error(`${where}: too complex to replay: ${command}`);
            plan.install = command.split(/\s+/);
            plan.installEnv = { ...plan.env };
          }
        }
        break;
      }
      case 'HEALTHCHECK': {
        const { rest } = takeFlags(args);
        if (/^NONE$/i.test(rest)) break;
        const command = /^CMD\s+(.*)$/i.exec(rest)?.[1];
        if (!command) throw new Error(`${where}: expected HEALTHCHECK [options] CMD ...`);
        plan.healthcheck = execForm(command) ?? ['/bin/sh', '-c', command];
        break;
      }
      case 'CMD':
        plan.cmd = execForm(args);
        plan.cmdShellForm = plan.cmd === null;
        break;
      default:
        break;
    }
  }
  return plan;
}

/** Production-only: `npm ci|install` with `--omit=dev` (or `--omit dev`). */
function isProductionOnly(command: string): boolean {
  return /^npm\s/.test(command) && /\s--omit(=|\s+)dev(\s|$)/.test(command);
}

// ---------------------------------------------------------------------------------------------------
// Processes: an environment without npm's lifecycle variables, output kept for failure messages.

/** The parent's environment minus what `npm test` adds (npm_config_local_prefix would point npm here). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!/^npm_/i.test(key) && key !== 'INIT_CWD') env[key] = value;
  }
  return { ...env, ...extra };
}

/** Resolves `node` to the node running this test, so the replay and the assertion agree on a version. */
function resolveArgv(argv: string[]): [string, string[]] {
  const [command = '', ...args] = argv;
  return [command === 'node' ? process.execPath : command, args];
}

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Runs a command to completion, failing clearly on timeout. */
function runToEnd(argv: string[], cwd: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Ran> {
  const [command, args] = resolveArgv(argv);
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`\`${argv.join(' ')}\` did not finish within ${timeoutMs} ms:\n${output}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** A long-running child whose stdout and stderr lines are kept and can be waited for. */
class Service {
  readonly child: ChildProcess;
  readonly lines: string[] = [];
  private readonly stdoutWatchers = new Set<(line: string) => void>();
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exit: { code: number | null; signal: NodeJS.Signals | null } | null = null;

  constructor(argv: string[], cwd: string, env: NodeJS.ProcessEnv) {
    const [command, args] = resolveArgv(argv);
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    // One reader per stream for the child's whole life: it keeps the pipes drained.
    if (this.child.stdout) {
      createInterface({ input: this.child.stdout }).on('line', (line) => {
        this.lines.push(line);
        for (const watcher of this.stdoutWatchers) watcher(line);
      });
    }
    if (this.child.stderr) {
      createInterface({ input: this.child.stderr }).on('line', (line) => this.lines.push(line));
    }
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
  }

  get running(): boolean {
    return this.exit === null;
  }

  output(): string {
    return this.lines.slice(-40).join('\n');
  }

  /** Resolves with the first stdout line matching `pattern`; rejects if the child exits first or time runs out. */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        this.stdoutWatchers.delete(watcher);
        this.child.off('exit', onExit);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        done();
        reject(
          new Error(
            `the server exited (${signal ?? `code ${code}`}) before printing a line matching ${pattern}:\n${this.output()}`,
          ),
        );
      };
      const timer = setTimeout(() => {
        done();
        reject(
          new Error(`no line matching ${pattern} within ${timeoutMs} ms; output so far:\n${this.output()}`),
        );
      }, timeoutMs);
      const watcher = (line: string): void => {
        if (!pattern.test(line)) return;
        done();
        resolve(line);
      };
      this.stdoutWatchers.add(watcher);
      this.child.on('exit', onExit);
    });
  }

  /** Resolves with how the child ended; rejects if it is still running after `timeoutMs`. */
  waitForExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`still running ${timeoutMs} ms after SIGTERM:\n${this.output()}`)),
        timeoutMs,
      );
      void this.exited.then((exit) => {
        clearTimeout(timer);
        resolve(exit);
      });
    });
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (typeof address !== 'object' || !address) throw new Error('no port from the OS');
  return address.port;
}

// ---------------------------------------------------------------------------------------------------

const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
const stages = parseDockerfile(dockerfile);
const plan = runtimePlan(stages);

describe('Dockerfile runtime stage', () => {
  it('is a separate stage built FROM the Node major this test replays it with', () => {
    expect(stages.length, 'multi-stage: a build stage, then the runtime stage').toBeGreaterThanOrEqual(2);
    const major = process.versions.node.split('.')[0] ?? '';
    expect(plan.image).toMatch(new RegExp(`^node:${major}([.-]|$)`));
  });

  it('runs as a non-root user, exposes the port, has a health check and an exec-form CMD', () => {
    expect(plan.user, 'USER in the runtime stage').not.toBeNull();
    expect(plan.user ?? '').not.toMatch(/^(root|0)(:|$)/);
    const port = Number(plan.env.PORT ?? DEFAULT_CONFIG.port);
    expect(plan.exposed, 'EXPOSE the port the server listens on').toContain(port);
    expect(plan.healthcheck, 'HEALTHCHECK CMD ...').not.toBeNull();
    expect((plan.healthcheck ?? []).join(' ')).toContain('/healthz');
    expect(plan.cmdShellForm, 'CMD in exec form, so SIGTERM reaches node and not /bin/sh').toBe(false);
    expect(plan.cmd, 'CMD').not.toBeNull();
  });

  it('installs production dependencies only, from the lockfile', () => {
    expect(plan.env.NODE_ENV).toBe('production');
    expect(plan.install.slice(0, 2), 'one `RUN npm ci --omit=dev`').toEqual(['npm', 'ci']);
    const notProduction = plan.installs.filter((command) => !isProductionOnly(command));
    expect(notProduction, 'installs in the runtime stage that are not production-only').toEqual([]);
    const copied = plan.copies.map((c) => (c.intoFolder ? posix.join(c.to, posix.basename(c.from)) : c.to));
    expect(copied).toEqual(expect.arrayContaining(['package.json', 'package-lock.json']));
  });
});

describe('Dockerfile runtime stage, replayed outside Docker', () => {
  let workdir = '';
  let port = 0;
  let server: Service | null = null;
  let runEnv: NodeJS.ProcessEnv = {};

  beforeAll(async () => {
    const missing = REQUIRED_BUILD.filter((file) => !existsSync(join(ROOT, file)));
    if (missing.length > 0) {
      throw new Error(
        `No build to package: ${missing.join(', ')} missing. Run \`npm run build\` first ` +
          '(`npm test` builds before the deploy project).',
      );
    }
    if (plan.install.length === 0 || !plan.cmd) {
      throw new Error('The runtime stage needs a `RUN npm ci ...` and an exec-form CMD to be replayed.');
    }
    const cmd = plan.cmd;
    workdir = mkdtempSync(join(tmpdir(), 'pong-arena-runtime-'));
    for (const copy of plan.copies) {
      const source = join(ROOT, copy.from);
      if (!existsSync(source)) throw new Error(`COPY source ${copy.from} does not exist in the repository`);
      // Like Docker: a folder's contents go to the destination; a file goes into it when it is a folder.
      const isFolder = statSync(source).isDirectory();
      const target = join(
        workdir,
        copy.intoFolder && !isFolder ? join(copy.to, basename(copy.from)) : copy.to,
      );
      mkdirSync(isFolder ? target : dirname(target), { recursive: true });
      cpSync(source, target, { recursive: true });
    }

    const install = await runToEnd(plan.install, workdir, cleanEnv(plan.installEnv), INSTALL_TIMEOUT_MS);
    if (install.code !== 0) {
      throw new Error(
        `\`${plan.install.join(' ')}\` failed (${install.signal ?? install.code}):\n${install.output}`,
      );
    }

    port = await freePort();
    runEnv = cleanEnv({ ...plan.env, PORT: String(port), HOST: '127.0.0.1' });
    server = new Service(cmd, workdir, runEnv);
    await server.waitForStdout(READY_LINE, READY_TIMEOUT_MS);
  });

  afterAll(async () => {
    if (server?.running) {
      server.child.kill('SIGKILL');
      await server.waitForExit(EXIT_TIMEOUT_MS).catch(() => undefined);
    }
    if (workdir) rmSync(workdir, { recursive: true, force: true });
  });

  const get = (path: string): Promise<Response> =>
    fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });

  it('has the production dependencies and none of the dev-only packages', () => {
    const pkg = JSON.parse(readFileSync(join(workdir, 'package.json'), 'utf8')) as {
      dependencies?: Record<string, string>;
      devDependencies?: Record<string, string>;
    };
    const lock = JSON.parse(readFileSync(join(workdir, 'package-lock.json'), 'utf8')) as {
      packages?: Record<string, { dev?: boolean }>;
    };
    const installed = (path: string): boolean => existsSync(join(workdir, path, 'package.json'));
    const missing = Object.keys(pkg.dependencies ?? {}).filter((name) => !installed(`node_modules/${name}`));
    expect(missing, 'dependencies missing from node_modules').toEqual([]);
    // A devDependency may also be a production package's dependency (ws, @types/node); the lockfile's
    // `dev` flag marks what only development needs.
    expect(Object.keys(pkg.devDependencies ?? {})).toEqual(expect.arrayContaining(['vite', 'vitest']));
    const devOnly = Object.entries(lock.packages ?? {})
      .filter(([path, entry]) => path.startsWith('node_modules/') && entry.dev === true)
      .map(([path]) => path);
    expect(devOnly).toEqual(expect.arrayContaining(['node_modules/vite', 'node_modules/vitest']));
    expect(devOnly.filter(installed), 'dev-only packages in node_modules').toEqual([]);
  });

  it('answers GET /healthz with status ok', async () => {
    const res = await get('/healthz');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toMatchObject({ status: 'ok' });
  });

  it('serves the client page and the script it loads', async () => {
    const res = await get('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    const html = await res.text();
    expect(html).toContain('<script');
    const src = /<script[^>]*\ssrc="([^"]+)"/.exec(html)?.[1];
    if (src && !/^[a-z]+:/i.test(src)) {
      const script = await get(new URL(src, 'http://x/').pathname);
      expect(script.status, `GET ${src}`).toBe(200);
      expect(script.headers.get('content-type')).toMatch(/javascript/);
    }
  });

  it(`serves invite links (${INVITE_PATH}) as the client page`, async () => {
    const res = await get(INVITE_PATH);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('<script');
  });

  it("passes the image's HEALTHCHECK", async () => {
    const check = await runToEnd(plan.healthcheck ?? [], workdir, runEnv, HEALTHCHECK_TIMEOUT_MS);
    expect(check.code, check.output).toBe(0);
  });

  it('exits with code 0 on SIGTERM, after which the HEALTHCHECK fails', async () => {
    const running = server;
    if (!running) throw new Error('the server did not start');
    running.child.kill('SIGTERM');
    const exit = await running.waitForExit(EXIT_TIMEOUT_MS);
    expect(exit, running.output()).toEqual({ code: 0, signal: null });
    const check = await runToEnd(plan.healthcheck ?? [], workdir, runEnv, HEALTHCHECK_TIMEOUT_MS);
    expect(check.code, 'a HEALTHCHECK that passes with no server proves nothing').not.toBe(0);
  });
});
