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
  /** How many "no such connection" answers are remembered at most (kept apart from found ones). */
  maxMisses?: number;
  /** true: `sql` is a service-role pool; false: each load switches role in a transaction. */
  runsAsServiceRole?: boolean;
  /** Test hook: awaited inside each load, after its query answered (a load held in flight). */
  afterQuery?: (id: string) => Promise<void>;
}

interface Entry {
  value: ActiveConnection;
  expiresAt: number;
}

/**
 * Active connections with their decrypted auth token, so the webhook hot path
 * neither queries nor decrypts per request. A connection is dropped the moment any
 * process NOTIFYs a change to it (LISTEN), and after its TTL in any case.
 */
export class ConnectionCache {
  private readonly entries = new Map<string, Entry>();
  /**
   * "No such active connection", kept apart and smaller: lookups of random ids (before
   * any signature check) must never push the tenants' real connections out.
   */
  private readonly misses = new Map<string, number>();
  private readonly loading = new Map<string, Promise<ActiveConnection | null>>();
  private readonly ttlMs: number;
  private readonly negativeTtlMs: number;
  private readonly maxEntries: number;
  private readonly maxMisses: number;
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
    this.maxMisses = options.maxMisses ?? 1_000;
    this.afterQuery = options.afterQuery;
    this.runsAsServiceRole = options.runsAsServiceRole ?? false;
  }

  /** The active connection with this id, or null (unknown, inactive, or not a UUID). */
  async get(id: string): Promise<ActiveConnection | null> {
    if (!UUID_PATTERN.test(id)) return null;
    const key = id.toLowerCase();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if ((this.misses.get(key) ?? 0) > now) return null;
    let pending = this.loading.get(key);
    if (!pending) {
      const started: Promise<ActiveConnection | null> = this.load(key).then(
        (value) => {
          // Kept only if no invalidation (or clear) replaced this load meanwhile: it
          // may have read the row before the change.
          if (this.loading.get(key) === started) {
            this.loading.delete(key);
            this.remember(key, value);
          }
          return value;
        },
        (error: unknown) => {
          if (this.loading.get(key) === started) this.loading.delete(key);
          throw error;
        },
      );
      pending = started;
      this.loading.set(key, pending);
    }
    return pending;
  }

  /** Whether a live (unexpired) entry, found or not-found, is held for this id: for tests and diagnostics. */
  holds(id: string): boolean {
    const key = id.toLowerCase();
    const hit = this.entries.get(key);
    return (hit !== undefined && hit.expiresAt > Date.now()) || (this.misses.get(key) ?? 0) > Date.now();
  }

  /**
   * Forgets the connection, and any load of it in flight: that load may have read
   * the row before the change, so a request arriving after the NOTIFY must start
   * its own (the old load's callers get its answer, but it is not cached).
   */
  invalidate(id: string) {
    const key = id.toLowerCase();
    this.entries.delete(key);
    this.misses.delete(key);
    this.loading.delete(key);
  }

  clear() {
    this.entries.clear();
    this.misses.clear();
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

  /** Caches a load's answer; the least recently loaded entry of its kind goes when full. */
  private remember(id: string, value: ActiveConnection | null) {
    if (value === null) {
      this.misses.delete(id);
      if (this.misses.size >= this.maxMisses) this.misses.delete(this.misses.keys().next().value as string);
      this.misses.set(id, Date.now() + this.negativeTtlMs);
      return;
    }
    this.entries.delete(id);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(id, { value, expiresAt: Date.now() + this.ttlMs });
  }

  private async load(id: string): Promise<ActiveConnection | null> {
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
    return value;
  }
}
