// Whether dist/ is older than its sources: shared by `npm start` and `npm run cluster`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD_OUTPUTS = ['dist/client/index.html', 'dist/server/main.js'];
const SOURCE_DIRS = ['client', 'server', 'shared'];
const SOURCE_FILE_PATTERN = /^(package\.json|vite\.config\.ts|tsconfig.*\.json)$/;

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
export function reasonToBuild() {
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
