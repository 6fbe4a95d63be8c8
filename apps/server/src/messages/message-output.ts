import type { WhatsappMessage } from '@app/contracts';
import type { TwilioWhatsappMessage } from '@app/db';
import { describeMessageError } from './describe-message-error.ts';

/** A stored message as the API shows it. */
export function toMessageOutput(row: TwilioWhatsappMessage): WhatsappMessage {
  return {
    id: row.id,
    connectionId: row.connectionId,
    messageSid: row.messageSid,
    direction: row.direction,
    from: row.fromNumber,
    to: row.toNumber,
    body: row.body,
    media: row.media.map((m) => ({ url: m.url, contentType: m.contentType ?? null })),
    profileName: row.profileName,
    status: row.status,
    errorCode: row.errorCode,
    errorMessage: describeMessageError(row.errorCode, row.errorMessage),
    template:
      row.contentSid === null ? null : { contentSid: row.contentSid, variables: row.contentVariables ?? {} },
    buttonText: row.buttonText,
    buttonPayload: row.buttonPayload,
    createdAt: row.createdAt.toISOString(),
    statusUpdatedAt: row.statusUpdatedAt.toISOString(),
  };
}
