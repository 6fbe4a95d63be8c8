import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedPostgresUnreachableError, planRootPaths, userCanReach } from '../src/embedded.ts';

// Issue 11: as root, a clone in a folder the `postgres` user cannot enter (mktemp -d,
// a home of mode 700) crashed with `spawn .../initdb EACCES`.

const base = '/var/lib/app/embedded-postgres';
/** A real folder (the plan looks for the nearest existing one), closed to the postgres user. */
const privateDir = mkdtempSync(path.join(os.tmpdir(), 'embedded-private-'));
afterAll(() => rmSync(privateDir, { recursive: true, force: true }));
const nativeDir = `${privateDir}/repo/node_modules/pg/native`;
const canReach = (p: string) => !p.startsWith(privateDir);

describe('as root: what the postgres user cannot reach moves to a folder it can', () => {
  it('reachable binaries and data: nothing moves', () => {
    expect(
      planRootPaths({
        dataDir: '/srv/repo/.data/pg',
        nativeDir: '/srv/repo/native',
        version: '18.0.0',
        canReach: () => true,
        base,
      }),
    ).toEqual({ dataDir: '/srv/repo/.data/pg' });
  });

  it('binaries and data in a private folder: a versioned copy of the binaries, the data under the base, linked', () => {
    const plan = planRootPaths({
      dataDir: `${privateDir}/repo/.data/pg`,
      nativeDir,
      version: '18.0.0',
      canReach,
      base,
    });
    expect(plan.binariesDir).toBe(`${base}/bin-18.0.0`);
    expect(plan.dataDirLink).toBe(`${privateDir}/repo/.data/pg`);
    expect(plan.dataDir).toMatch(new RegExp(`^${base}/data/pg-[0-9a-f]{16}$`));
    expect(plan.blockedBy).toBe(privateDir);
    // The same requested folder always maps to the same stand-in; another one does not.
    const again = planRootPaths({
      dataDir: `${privateDir}/repo/.data/pg`,
      nativeDir,
      version: '18.0.0',
      canReach,
      base,
    });
    const other = planRootPaths({
      dataDir: `${privateDir}/other/.data/pg`,
      nativeDir,
      version: '18.0.0',
      canReach,
      base,
    });
    expect(again.dataDir).toBe(plan.dataDir);
    expect(other.dataDir).not.toBe(plan.dataDir);
  });
});

const runsAsRoot = process.getuid?.() === 0;

describe.runIf(runsAsRoot)('the reachability check asks the kernel, as that user', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'embedded-paths-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const nobody = { uid: 65534, gid: 65534 };

  it('a mode-700 folder (mktemp -d) is closed; its contents are unreachable until it opens', () => {
    const inner = path.join(dir, 'bin');
    mkdirSync(inner, { mode: 0o755 });
    writeFileSync(path.join(inner, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
    expect(userCanReach(dir, nobody)).toBe(false);
    expect(userCanReach(path.join(inner, 'tool'), nobody)).toBe(false);
    expect(userCanReach(path.join(inner, 'tool'), { uid: 0, gid: 0 })).toBe(true);

    // A data folder that already holds a cluster is never moved: the fix is named instead.
    const dataDir = path.join(dir, 'pg');
    mkdirSync(dataDir);
    writeFileSync(path.join(dataDir, 'PG_VERSION'), '18\n');
    expect(() =>
      planRootPaths({
        dataDir,
        nativeDir: inner,
        version: '18.0.0',
        canReach: (p) => userCanReach(p, nobody),
        base: os.tmpdir(),
      }),
    ).toThrow(`which cannot enter ${dir}: run \`chmod o+x ${dir}\`, clone elsewhere, or set DATABASE_URL.`);

    // No reachable place for a stand-in either: the same kind of sentence, no stack.
    expect(() =>
      planRootPaths({
        dataDir: path.join(dir, 'fresh', 'pg'),
        nativeDir: inner,
        version: '18.0.0',
        canReach: (p) => userCanReach(p, nobody),
        base: path.join(dir, 'base'),
      }),
    ).toThrow(EmbeddedPostgresUnreachableError);
  });
});
