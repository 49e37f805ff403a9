import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium package (what `bash .ci/run` installs). */
export const DEBIAN_CHROMIUM = '/usr/bin/chromium';

const OUR_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Three pages play at once: none of them may be throttled as a background tab.
  '--disable-background-timer-throttling',
  '--disable-renderer-backgrounding',
  '--disable-backgrounding-occluded-windows',
];

/**
 * Flags of @sparticuz/chromium's that we leave out: it is built for AWS Lambda, where one process
 * and one page is the norm. Our tests play several pages at once; one renderer per page keeps them
 * apart, and playwright-core chooses the headless mode itself.
 */
const DROPPED_PACKAGED_FLAGS = /^--(single-process|headless)(=|$)/;

const INSTALL_HINT =
  "Set CHROMIUM_PATH to a Chromium binary, or install Debian's: `sudo apt-get update && sudo apt-get install -y chromium` " +
  '(`bash .ci/run` does this for you). Without either, the tests unpack the Chromium shipped in the ' +
  '@sparticuz/chromium devDependency (x64 and arm64 Linux only) into the temporary directory.';

interface Candidate {
  source: string;
  executablePath: string;
  args: string[];
}

/**
 * Where the browser comes from: CHROMIUM_PATH when set, else Debian's package when installed, else
 * the binary inside the @sparticuz/chromium package (unpacked once into the temp directory, ~2 s).
 */
async function findChromium(): Promise<Candidate> {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist. ${INSTALL_HINT}`);
    return { source: 'CHROMIUM_PATH', executablePath: fromEnv, args: OUR_FLAGS };
  }
  if (existsSync(DEBIAN_CHROMIUM))
    return { source: 'Debian', executablePath: DEBIAN_CHROMIUM, args: OUR_FLAGS };
  try {
    const packaged = (await import('@sparticuz/chromium')).default;
    const executablePath = await packaged.executablePath();
    const extra = packaged.args.filter((a) => !DROPPED_PACKAGED_FLAGS.test(a) && !OUR_FLAGS.includes(a));
    return { source: '@sparticuz/chromium', executablePath, args: [...OUR_FLAGS, ...extra] };
  } catch (err) {
    throw new Error(`No Chromium found (${(err as Error).message}). ${INSTALL_HINT}`, { cause: err });
  }
}

/** Launches a headless Chromium. Browser tests never skip: without one they fail and say how to get one. */
export async function launchBrowser(): Promise<Browser> {
  const found = await findChromium();
  try {
    return await chromium.launch({ executablePath: found.executablePath, headless: true, args: found.args });
  } catch (err) {
    throw new Error(
      `Chromium from ${found.source} (${found.executablePath}) did not start: ${(err as Error).message}. ${INSTALL_HINT}`,
      { cause: err },
    );
  }
}
