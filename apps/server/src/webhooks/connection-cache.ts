import { UUID_PATTERN } from '@app/contracts';
import {
  CONNECTION_CHANGED_CHANNEL,
  findConnectedConnectionCredentials,
  type Listener,
  listenWithReconnect,
  type ServiceRole,
} from '@app/db';
import { LRUCache } from 'lru-cache';
import type { CredentialVault } from '../vault/credential-vault.ts';

/** A connection whose webhooks are accepted: active or paused (pausing stops sending only). */
export interface ActiveConnection {
  id: string;
  organizationId: string;
  /** Decrypted; kept in memory only, never logged or returned. */
  authToken: string;
  /**
   * The token the last update replaced, while its grace period lasts (Twilio signs with
   * it until the new one is promoted); decrypted like authToken. Null when none.
   */
  previousAuthToken: string | null;
  /** When the previous token stops being accepted (ms since epoch); null when none. */
  previousTokenExpiresAt: number | null;
}

export interface ConnectionCacheOptions {
  /** How long a found connection is trusted without a NOTIFY (fallback for a missed one). */
  ttlMs?: number;
  /** How long "no such connection" is remembered (short: a new connection must work at once). */
  negativeTtlMs?: number;
  maxEntries?: number;
  /** How many "no such connection" answers are remembered at most (kept apart from found ones). */
  maxMisses?: number;
  /** Test hook: awaited inside each load, after its query answered (a load held in flight). */
  afterQuery?: (id: string) => Promise<void>;
}

/**
 * Connections (active or paused) with their decrypted auth token, so the webhook hot path
 * neither queries nor decrypts per request. A connection is dropped the moment any
 * process NOTIFYs a change to it (LISTEN), and after its TTL in any case. While
 * the LISTEN connection is down a change would go unheard, so nothing cached is
 * served or kept until it is back, and everything is dropped when it is.
 *
 * lru-cache holds the entries (TTL, bounds, least recently used out). Its
 * fetchMethod is not used: a fetch puts a placeholder among the found entries,
 * so lookups of random ids could push tenants' connections out; loads in flight
 * are de-duplicated here instead.
 */
export class ConnectionCache {
  private readonly found: LRUCache<string, ActiveConnection>;
  /**
   * "No such connection", kept apart and smaller: lookups of random ids (before
   * any signature check) must never push the tenants' real connections out.
   */
  private readonly misses: LRUCache<string, true>;
  private readonly loading = new Map<string, Promise<ActiveConnection | null>>();
  private listener: Listener | undefined;
  private closed = false;
  private readonly afterQuery: ((id: string) => Promise<void>) | undefined;

  constructor(
    private readonly serviceRole: ServiceRole,
    private readonly vault: CredentialVault,
    options: ConnectionCacheOptions = {},
  ) {
    this.found = new LRUCache({ max: options.maxEntries ?? 10_000, ttl: options.ttlMs ?? 30_000 });
    this.misses = new LRUCache({ max: options.maxMisses ?? 1_000, ttl: options.negativeTtlMs ?? 1_000 });
    this.afterQuery = options.afterQuery;
  }

  /** Whether cached answers may be served: only while LISTEN is in place. */
  private get trusted(): boolean {
    return this.listener?.listening === true;
  }

  /** The connection with this id, active or paused, or null (unknown, or not a UUID). */
  async get(id: string): Promise<ActiveConnection | null> {
    if (!UUID_PATTERN.test(id)) return null;
    const key = id.toLowerCase();
    // While nobody listens, changes could go unheard: nothing cached is served, but
    // lookups of one id still share the load in flight (and it is not kept).
    if (this.trusted) {
      const hit = this.found.get(key);
      if (hit) return hit;
      if (this.misses.has(key)) return null;
    }
    let pending = this.loading.get(key);
    if (!pending) {
      const started: Promise<ActiveConnection | null> = this.load(key).then(
        (value) => {
          // Kept only if no invalidation (or clear) replaced this load meanwhile: it
          // may have read the row before the change.
          if (this.loading.get(key) === started) {
            this.loading.delete(key);
            if (this.trusted) this.remember(key, value);
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
    return this.found.has(key) || this.misses.has(key);
  }

  /**
   * Forgets the connection, and any load of it in flight: that load may have read
   * the row before the change, so a request arriving after the NOTIFY must start
   * its own (the old load's callers get its answer, but it is not cached).
   */
  invalidate(id: string) {
    const key = id.toLowerCase();
    this.found.delete(key);
    this.misses.delete(key);
    this.loading.delete(key);
  }

  clear() {
    this.found.clear();
    this.misses.clear();
    this.loading.clear();
  }

  /**
   * LISTENs for connection changes (and keeps doing so, retrying while the database
   * is down). Nothing is cached before the first LISTEN is in place.
   */
  async listen(): Promise<void> {
    if (this.closed || this.listener) return;
    this.listener = listenWithReconnect(this.serviceRole.sql, CONNECTION_CHANGED_CHANNEL, {
      onNotify: (payload) => (payload ? this.invalidate(payload) : this.clear()),
      // Anything could have changed while no one listened (or will, unheard).
      onListening: () => this.clear(),
      onLost: () => this.clear(),
    });
    await this.listener.firstAttempt;
  }

  async close() {
    this.closed = true;
    await this.listener?.close();
    this.clear();
  }

  private remember(key: string, value: ActiveConnection | null) {
    if (value === null) this.misses.set(key, true);
    else this.found.set(key, value);
  }

  private async load(id: string): Promise<ActiveConnection | null> {
    const row = await this.serviceRole.run((on) => findConnectedConnectionCredentials(on, id));
    await this.afterQuery?.(id);
    if (!row) return null;
    const binding = { rowId: row.id, accountSid: row.twilioAccountSid };
    const previous = row.twilioPreviousAuthToken !== null && row.previousTokenExpiresAtMs !== null;
    return {
      id: row.id,
      organizationId: row.organizationId,
      authToken: this.vault.decrypt(row.twilioAuthTokenHash, binding),
      previousAuthToken: previous
        ? this.vault.decrypt(row.twilioPreviousAuthToken!, { ...binding, slot: 'previous' })
        : null,
      previousTokenExpiresAt: previous ? Number(row.previousTokenExpiresAtMs) : null,
    };
  }
}
