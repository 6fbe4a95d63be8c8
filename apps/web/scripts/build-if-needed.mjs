// `pnpm start` runs this: builds the SPA only when dist/ is missing or older than
// its sources (src/, index.html, the Vite config, the shared contracts, the
// lockfile), so a restart does not wait for a build it does not need.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

const webDir = path.resolve(import.meta.dirname, '..');
const builtIndex = path.join(webDir, 'dist/index.html');
const sources = [
  path.join(webDir, 'src'),
  path.join(webDir, 'index.html'),
  path.join(webDir, 'vite.config.ts'),
  path.join(webDir, 'package.json'),
  path.resolve(webDir, '../../packages/contracts/src'),
  // New dependency versions (React, tRPC, Vite) change the bundle too.
  path.resolve(webDir, '../../pnpm-lock.yaml'),
];

function newestMtime(entry) {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const child of readdirSync(entry)) newest = Math.max(newest, newestMtime(path.join(entry, child)));
  return newest;
}

const builtAt = existsSync(builtIndex) ? statSync(builtIndex).mtimeMs : 0;
const sourcesAt = Math.max(...sources.map(newestMtime));
if (builtAt > sourcesAt) {
  console.log('@app/web: dist/ is up to date');
} else {
  console.log(builtAt === 0 ? '@app/web: building (no dist/ yet)' : '@app/web: rebuilding (sources changed)');
  const result = spawnSync('pnpm', ['run', 'build'], { cwd: webDir, stdio: 'inherit' });
  process.exit(result.status ?? 1);
}
