import {
  recordSignedDelivery,
  type ServiceRole,
  SIGNING_SEEN_RESOLUTION_MS,
  type SigningToken,
} from '@app/db';
import type { FastifyBaseLogger } from 'fastify';
import { LRUCache } from 'lru-cache';

/**
 * Records which Auth Token signed the deliveries of each connection
 * (last_signed_with_current_at / _previous_at), so the card can say whether Twilio
 * still signs with the token an update replaced. Cheap on the hot path: at most one
 * write per connection and token per SIGNING_SEEN_RESOLUTION_MS in this process (and
 * the statement itself skips a row written within that time by another process),
 * never awaited by the request. A lost write costs only a stale "last seen".
 */
export class SignedDeliveryRecorder {
  private readonly written: LRUCache<string, number>;
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly serviceRole: ServiceRole,
    private readonly log: FastifyBaseLogger,
    private readonly resolutionMs = SIGNING_SEEN_RESOLUTION_MS,
  ) {
    this.written = new LRUCache({ max: 10_000 });
  }

  /** A delivery of this connection passed the signature check with this token. */
  seen(connectionId: string, token: SigningToken): void {
    const key = `${token}:${connectionId}`;
    const now = Date.now();
    const last = this.written.get(key);
    if (last !== undefined && now - last < this.resolutionMs) return;
    this.written.set(key, now);
    const write: Promise<void> = this.serviceRole
      .run((on) => recordSignedDelivery(on, connectionId, token))
      .catch((err: unknown) => {
        // Try again with the next delivery.
        this.written.delete(key);
        this.log.warn({ err, connectionId }, 'could not record which Auth Token signed a delivery');
      })
      .finally(() => this.pending.delete(write));
    this.pending.add(write);
  }

  /** Waits for the writes started so far (at close, and in tests). */
  async drain(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  /** Forgets what was written (tests that move the clock through the database). */
  reset(): void {
    this.written.clear();
  }
}
