import type { SigningTokenState } from '@app/contracts';
import type { TwilioWhatsappConnection } from '@app/db';
import type { CredentialBinding, CredentialVault } from '../vault/credential-vault.ts';
import type { ConnectionPatch } from './store.ts';

// Auth Token rotation without lockout. Twilio rotates in two steps: an admin creates
// a secondary token, then promotes it, which deletes the old primary; until then
// Twilio signs webhooks with the old one.
//   https://www.twilio.com/docs/iam/api/secondary_authtoken
//   https://www.twilio.com/docs/iam/api/authtoken
// So when an admin stores a new token here, the one it replaces is kept (encrypted,
// bound as "previous") and still accepted on webhooks for PREVIOUS_TOKEN_GRACE_MS.

/** How long signatures made with the replaced Auth Token are accepted. */
export const PREVIOUS_TOKEN_GRACE_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The previous token is erased earlier once Twilio signs with the new one and no
 * delivery signed with the old one has come for this long (late or retried deliveries).
 */
export const PREVIOUS_TOKEN_SETTLE_MS = 24 * 60 * 60 * 1000;

type SigningColumns = Pick<
  TwilioWhatsappConnection,
  'previousTokenExpiresAt' | 'lastSignedWithCurrentAt' | 'lastSignedWithPreviousAt'
>;

/** Which token the latest deliveries were signed with, as the card tells it. */
export function signingTokenOf(row: SigningColumns, now = new Date()): SigningTokenState {
  const previousLive = row.previousTokenExpiresAt !== null && row.previousTokenExpiresAt > now;
  const current = row.lastSignedWithCurrentAt?.getTime() ?? null;
  const previous = previousLive ? (row.lastSignedWithPreviousAt?.getTime() ?? null) : null;
  if (previous !== null && (current === null || previous > current)) return 'previous';
  return current === null ? 'unknown' : 'current';
}

/** The stored tokens, decrypted, and what Twilio was last seen signing with. */
export interface StoredTokens {
  current: string | null;
  previous: string | null;
  signingWith: SigningTokenState;
}

/**
 * What becomes of the previous token when `next` replaces the stored one:
 * - `unchanged`: the new token is the current one again (nothing rotates), or the
 *   current one cannot be read (nothing to keep);
 * - `extend`: Twilio still signs with the previous token (its primary: another
 *   secondary was made before promoting), so it stays accepted, for a new grace period;
 * - `drop`: the admin went back to the previous token, or the account changed (a
 *   token of another account never signs this account's webhooks);
 * - `rotate`: the usual case, the current token becomes the previous one.
 */
export function previousTokenAfterUpdate(
  stored: StoredTokens,
  next: string,
  accountChanged: boolean,
): 'unchanged' | 'extend' | 'drop' | 'rotate' {
  if (accountChanged) return 'drop';
  if (stored.current === next) return 'unchanged';
  if (stored.previous === next) return 'drop';
  if (stored.previous !== null && stored.signingWith === 'previous') return 'extend';
  return stored.current === null ? 'unchanged' : 'rotate';
}

/** The columns an update with a new Auth Token writes besides the token itself. */
export function tokenRotationPatch(
  vault: CredentialVault,
  stored: StoredTokens,
  next: string,
  binding: Omit<CredentialBinding, 'slot'>,
  accountChanged: boolean,
  now = new Date(),
): ConnectionPatch {
  const graceEnds = new Date(now.getTime() + PREVIOUS_TOKEN_GRACE_MS);
  switch (previousTokenAfterUpdate(stored, next, accountChanged)) {
    case 'unchanged':
      return {};
    case 'extend':
      return { previousTokenExpiresAt: graceEnds };
    case 'drop':
      return {
        twilioPreviousAuthToken: null,
        previousTokenExpiresAt: null,
        lastSignedWithCurrentAt: null,
        lastSignedWithPreviousAt: null,
      };
    case 'rotate':
      return {
        twilioPreviousAuthToken: vault.encrypt(stored.current!, { ...binding, slot: 'previous' }),
        previousTokenExpiresAt: graceEnds,
        // Deliveries seen so far were signed with what is now the previous token; the
        // card says "unknown" until Twilio's next delivery shows which one it uses.
        lastSignedWithCurrentAt: null,
        lastSignedWithPreviousAt: null,
      };
  }
}
