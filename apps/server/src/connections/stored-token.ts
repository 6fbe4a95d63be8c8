import type { TwilioCredentials } from '@app/twilio';
import { CredentialDecryptionError, type CredentialVault } from '../vault/credential-vault.ts';
import {
  ConnectionDisconnectedError,
  ConnectionNotFoundError,
  StoredTokenUnreadableError,
} from './errors.ts';
import type { StoredSecret } from './store.ts';

/**
 * The token of a secret read already (storedSecret, or a reconciliation's row), decrypted
 * for one call; StoredTokenUnreadableError when its key is gone. Its own module (the vault
 * alone, not the app's services) so the reconciler shares it without an import cycle.
 */
export function credentialsOf(
  services: { vault: CredentialVault },
  secret: Pick<StoredSecret, 'id' | 'twilioAccountSid' | 'twilioAuthTokenHash'> | null,
): TwilioCredentials {
  if (!secret) throw new ConnectionNotFoundError();
  if (secret.twilioAuthTokenHash === null) throw new ConnectionDisconnectedError();
  try {
    const authToken = services.vault.decrypt(secret.twilioAuthTokenHash, {
      rowId: secret.id,
      accountSid: secret.twilioAccountSid,
    });
    return { accountSid: secret.twilioAccountSid, authToken };
  } catch (error) {
    throw error instanceof CredentialDecryptionError ? new StoredTokenUnreadableError() : error;
  }
}
