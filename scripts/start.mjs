// `npm start`: build when the build is missing or older than its sources, then run the production
// server (`node dist/server/main.js`) in this process group, forwarding SIGTERM/SIGINT and its exit code.
import { spawn } from 'node:child_process';
import { reasonToBuild, ROOT } from './build-freshness.mjs';

const FORWARDED_SIGNALS = ['SIGTERM', 'SIGINT'];

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
