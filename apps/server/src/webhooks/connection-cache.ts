import { UUID_PATTERN } from '@app/contracts';
import type postgres from 'postgres';
import { CONNECTION_CHANGED_CHANNEL } from '../connections/notify.ts';
import type { CredentialVault } from '../vault/credential-vault.ts';
import { asServiceRole } from './service-role-pool.ts';

export interface ActiveConnection {
  id: string;
  organizationId: string;
  /** Decrypted; kept in memory only, never logged or returned. */
  authToken: string;
}

export interface ConnectionCacheOptions {
  /** How long a found connection is trusted without a NOTIFY (fallback for a missed one). */
  ttlMs?: number;
  /** How long "no such active connection" is remembered (short: a new connection must work at once). */
  negativeTtlMs?: number;
  maxEntries?: number;
  /** true: `sql` is a service-role pool; false: each load switches role in a transaction. */
  runsAsServiceRole?: boolean;
  /** Test hook: awaited inside each load, after its query answered (a load held in flight). */
  afterQuery?: (id: string) => Promise<void>;
}

interface Entry {
  value: ActiveConnection | null;
  expiresAt: number;
}

/**
 * Active connections with their decrypted auth token, so the webhook hot path
 * neither queries nor decrypts per request. A connection is dropped the moment any
 * process NOTIFYs a change to it (LISTEN), and after its TTL in any case.
 */
export class ConnectionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly loading = new Map<string, Promise<ActiveConnection | null>>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  /** Bumped on every invalidation, so a load that raced with one is not cached. */
  private generation = 0;
  private unlisten: (() => Promise<void>) | undefined;
  private listenRetry: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly afterQuery: ((id: string) => Promise<void>) | undefined;
  private readonly runsAsServiceRole: boolean;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly vault: CredentialVault,
    options: ConnectionCacheOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 30_000;
    this.negativeTtlMs = options.negativeTtlMs ?? 1_000;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.afterQuery = options.afterQuery;
    this.runsAsServiceRole = options.runsAsServiceRole ?? false;
  }

  /** The active connection with this id, or null (unknown, inactive, or not a UUID). */
  async get(id: string): Promise<ActiveConnection | null> {
    if (!UUID_PATTERN.test(id)) return null;
    const key = id.toLowerCase();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value;
    let pending = this.loading.get(key);
    if (!pending) {
      const started: Promise<ActiveConnection | null> = this.load(key).finally(() => {
        // An invalidation may have replaced this load with a fresh one meanwhile.
        if (this.loading.get(key) === started) this.loading.delete(key);
      });
      pending = started;
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Whether a live (unexpired) entry, found or not-found, is held for this id: for tests and diagnostics. */
  holds(id: string): boolean {
    const hit = this.entries.get(id.toLowerCase());
    return hit !== undefined && hit.expiresAt > Date.now();
  }

  /**
   * Forgets the connection, and any load of it in flight: that load may have read
   * the row before the change, so a request arriving after the NOTIFY must start
   * its own (the old load's callers get its answer, but it is not cached).
   */
  invalidate(id: string) {
    this.generation++;
    const key = id.toLowerCase();
    this.entries.delete(key);
    this.loading.delete(key);
  }

  clear() {
    this.generation++;
    this.entries.clear();
    this.loading.clear();
  }

  /** LISTENs for connection changes; keeps retrying in the background while the database is down. */
  async listen(): Promise<void> {
    if (this.closed) return;
    try {
      const { unlisten } = await this.sql.listen(
        CONNECTION_CHANGED_CHANNEL,
        (payload) => (payload ? this.invalidate(payload) : this.clear()),
        // Called on every (re)connect of the listening connection: anything could
        // have changed while it was away.
        () => this.clear(),
      );
      this.unlisten = unlisten;
      if (this.closed) await unlisten();
    } catch {
      this.listenRetry = setTimeout(() => void this.listen(), 1_000);
      this.listenRetry.unref();
    }
  }

  async close() {
    this.closed = true;
    clearTimeout(this.listenRetry);
    await this.unlisten?.().catch(() => undefined);
    this.clear();
  }

  private async load(id: string): Promise<ActiveConnection | null> {
    const generation = this.generation;
    const [row] = await asServiceRole(
      this.sql,
      this.runsAsServiceRole,
      (sql) => sql<
        { id: string; organization_id: string; twilio_account_sid: string; twilio_auth_token_hash: string }[]
      >`
        select id, organization_id, twilio_account_sid, twilio_auth_token_hash
        from twilio_whatsapp_connections
        where id = ${id} and is_active
      `,
    );
    await this.afterQuery?.(id);
    const value: ActiveConnection | null = row
      ? {
          id: row.id,
          organizationId: row.organization_id,
          authToken: this.vault.decrypt(row.twilio_auth_token_hash, {
            rowId: row.id,
            accountSid: row.twilio_account_sid,
          }),
        }
      : null;
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) {
        // Oldest insertion first: Map keeps insertion order.
        const oldest = this.entries.keys().next().value;
        if (oldest !== undefined) this.entries.delete(oldest);
      }
      this.entries.set(id, { value, expiresAt: Date.now() + (value ? this.ttlMs : this.negativeTtlMs) });
    }
    return value;
  }
}
