import type { Database } from '@app/db';
import type { TwilioAdapter } from '@app/twilio';
import type postgres from 'postgres';
import type { Metrics } from './observability/metrics.ts';
import type { Reconciler } from './reconciliation/reconciler.ts';
import type { CredentialVault } from './vault/credential-vault.ts';

/** What the tRPC procedures, webhook routes and worker share; built once in buildServer. */
export interface AppServices {
  db: Database;
  /** The same pool as `db`: /readyz pings it; the webhook path switches role on it unless given its own pool. */
  sql: postgres.Sql;
  /** Base URL Twilio reaches us at: webhook URLs and signature checks are built from it. */
  publicUrl: URL;
  metrics: Metrics;
  /** Encrypts and decrypts Twilio Auth Tokens at rest. */
  vault: CredentialVault;
  /** Every Twilio REST call goes through it (TWILIO_API_BASE_URL points it at the simulator). */
  twilio: TwilioAdapter;
  /** Reconciliation with Twilio's Messages API: on demand, and in the background. */
  reconciliation: Reconciler;
}
