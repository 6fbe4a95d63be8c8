// Prints the gzip size of the JavaScript each screen needs before it can render:
// the entry chunk from index.html, plus the screen's lazy chunk and everything
// they import statically (from Vite's manifest). Budget: 150 KB for settings.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';

const dist = path.resolve(import.meta.dirname, '../dist');
const manifest = JSON.parse(readFileSync(path.join(dist, '.vite/manifest.json'), 'utf8'));
const entryKey = Object.keys(manifest).find((k) => manifest[k].isEntry);

function closure(keys, seen = new Set()) {
  for (const key of keys) {
    if (seen.has(key)) continue;
    seen.add(key);
    closure(manifest[key].imports ?? [], seen);
  }
  return seen;
}

const screens = {
  'sign in': 'src/auth/SignInPage.tsx',
  'sign up': 'src/auth/SignUpPage.tsx',
  'settings -> whatsapp': 'src/settings/WhatsappSettingsPage.tsx',
  // Its own chunk, loaded when the inbox opens; reported, not budgeted.
  inbox: 'src/inbox/InboxPage.tsx',
};
const budgetKb = 150;
let over = false;
for (const [screen, key] of Object.entries(screens)) {
  const files = [...closure([entryKey, key])].map((k) => manifest[k].file);
  const gzipBytes = files.reduce(
    (sum, f) => sum + gzipSync(readFileSync(path.join(dist, f)), { level: 9 }).length,
    0,
  );
  const kb = gzipBytes / 1024;
  if (screen.startsWith('settings') && kb > budgetKb) over = true;
  console.log(`${screen.padEnd(22)} ${kb.toFixed(1).padStart(6)} KB gzip  (${files.length} chunks)`);
}
if (over) {
  console.error(`settings screen is over the ${budgetKb} KB gzip budget`);
  process.exit(1);
}
