import { env } from '@app/config';
import { isQueryError, withoutQueryParameters } from '@app/db';
import { resolveRuntimeConfig } from '../config.ts';
import { openDatabase, resolveDatabaseUrl } from '../database.ts';
import { CredentialVault } from '../vault/credential-vault.ts';
import { rotateCredentials } from '../vault/rotate.ts';

// `pnpm credentials:rotate`: put the new key first in CREDENTIALS_ENCRYPTION_KEYS
// (keep the old ones after it), run this, then drop the old keys once it reports
// nothing left to rotate. Safe to interrupt and to run again.

const e = env();
const log = (message: string) => process.stderr.write(`${message}\n`);
const config = await resolveRuntimeConfig(e, (m) => log(`warning: ${m}`));
const vault = new CredentialVault(config.credentialsEncryptionKeys);
const pg = await resolveDatabaseUrl(e, log);
const database = await openDatabase(pg.url, log, 2);
let exitCode = 0;
try {
  const result = await rotateCredentials(database.db, vault, {
    batchSize: 100,
    onBatch: (p) => log(`re-encrypted ${p.rotated} so far`),
  });
  process.stdout.write(
    `Key "${vault.currentKeyId}": ${result.rotated} connection(s) re-encrypted, ${result.alreadyCurrent} already current, ${result.remaining} remaining.\n`,
  );
  if (result.remaining > 0) {
    log(
      `${result.remaining} rows are still under old keys (locked by concurrent updates); run again before dropping old keys`,
    );
    exitCode = 1;
  }
} catch (error) {
  // rotateCredentials sanitizes its query errors; this guards anything else that reached here.
  const safe = isQueryError(error) ? withoutQueryParameters(error, 'Rotation') : (error as Error);
  log(`rotation stopped: ${safe.message}`);
  exitCode = 1;
} finally {
  await database.close();
  await pg.stopEmbedded();
}
process.exit(exitCode);
