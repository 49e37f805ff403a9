// `npm start`: build when the build is missing or older than its sources, then run the production
// server (`node dist/server/main.js`) in this process group, forwarding SIGTERM/SIGINT and its exit code.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_OUTPUTS = ['dist/client/index.html', 'dist/server/main.js'];
const SOURCE_DIRS = ['client', 'server', 'shared'];
const SOURCE_FILE_PATTERN = /^(package\.json|vite\.config\.ts|tsconfig.*\.json)$/;
const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT'];

/** The newest file or folder under `dir` (folders count: deleting a source changes its folder). */
function newestUnder(dir) {
  let newest = { path: dir, mtimeMs: statSync(dir).mtimeMs };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestUnder(path) : { path, mtimeMs: statSync(path).mtimeMs };
    if (candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** Why a build is needed, or null when dist/ is up to date. */
function reasonToBuild() {
  const missing = BUILD_OUTPUTS.find((file) => !existsSync(join(ROOT, file)));
  if (missing) return `${missing} is missing`;
  // Both outputs come from one `npm run build`; the older one dates the build.
  const builtAt = Math.min(...BUILD_OUTPUTS.map((file) => statSync(join(ROOT, file)).mtimeMs));
  const sources = [
    ...SOURCE_DIRS.filter((dir) => existsSync(join(ROOT, dir))).map((dir) => newestUnder(join(ROOT, dir))),
    ...readdirSync(ROOT)
      .filter((name) => SOURCE_FILE_PATTERN.test(name))
      .map((name) => ({ path: join(ROOT, name), mtimeMs: statSync(join(ROOT, name)).mtimeMs })),
  ];
  const newer = sources.find((source) => source.mtimeMs > builtAt);
  return newer ? `${relative(ROOT, newer.path) || '.'} is newer than the build` : null;
}

let stopSignal = null;

/** Runs a child with our stdio, forwarding SIGTERM/SIGINT; resolves with how it ended. */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, stdio: 'inherit' });
    const forward = (signal) => {
      stopSignal = signal;
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    const detach = () => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
    };
    child.on('error', (err) => {
      detach();
      reject(err);
    });
    child.on('exit', (code, signal) => {
      detach();
      resolve({ code, signal });
    });
  });
}

/** Ends this process the way the child ended: same exit code, or the same signal. */
function exitLike({ code, signal }) {
  if (signal) {
    process.kill(process.pid, signal);
    return;
  }
  process.exit(code ?? 1);
}

// Run npm with the node that runs us when npm started us (npm_execpath); else npm from PATH.
const npmCli = process.env.npm_execpath;
const npm = npmCli && /\.[cm]?js$/.test(npmCli) ? [process.execPath, npmCli] : ['npm'];

async function main() {
  const reason = reasonToBuild();
  if (reason) {
    console.log(`start: building (${reason})`);
    const [command, ...prefix] = npm;
    const build = await run(command, [...prefix, 'run', 'build']);
    if (build.signal || build.code !== 0) {
      console.error(stopSignal ? `start: build stopped by ${stopSignal}` : 'start: the build failed');
      return build;
    }
  } else {
    console.log('start: the build is up to date');
  }
  return run(process.execPath, ['dist/server/main.js']);
}

exitLike(await main());
