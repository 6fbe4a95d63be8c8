import type { WhatsappConnection } from '@app/contracts';
import { Alert } from '../ui/Alert.tsx';
import { DateTime } from '../ui/DateTime.tsx';

/**
 * After an Auth Token update, Twilio keeps signing with the old token until the new
 * one is promoted in its console; the server accepts the old one until the grace
 * period ends. Said while Twilio's latest deliveries were signed with the old one.
 */
export function SigningTokenHint({
  connection,
}: {
  connection: Pick<WhatsappConnection, 'signingToken' | 'previousTokenExpiresAt'>;
}) {
  const { signingToken, previousTokenExpiresAt } = connection;
  const show = signingToken === 'previous' && previousTokenExpiresAt !== null;
  return (
    <Alert tone="info">
      {show && (
        <p>
          Twilio still signs with your previous Auth Token: promote the new one in Twilio's console. The
          previous token is accepted until <DateTime iso={previousTokenExpiresAt} />.
        </p>
      )}
    </Alert>
  );
}
