import { type NewWebhookEvent, type WebhookPayload, webhookEventIdempotencyKey } from '@app/db';
import type { TwilioMedia, TwilioMessage } from '@app/twilio';
import { RECEIVED_AT_FIELD } from '../webhooks/inbound-message.ts';

// A message read back from Twilio's Messages API, as the event a webhook would
// have stored for it: the same idempotency key, and a payload with the form
// parameters Twilio's webhook carries (the worker reads nothing else). What the
// API does not give (the sender's WhatsApp profile name) is left out.

function common(message: TwilioMessage): WebhookPayload {
  const payload: WebhookPayload = {
    MessageSid: message.sid,
    SmsSid: message.sid,
    SmsMessageSid: message.sid,
    AccountSid: message.accountSid,
    From: message.from,
    To: message.to,
    ApiVersion: '2010-04-01',
  };
  if (message.messagingServiceSid) payload.MessagingServiceSid = message.messagingServiceSid;
  return payload;
}

/** The inbound message webhook's parameters: text, and each medium's URL and content type. */
export function inboundMessagePayload(message: TwilioMessage, media: readonly TwilioMedia[]): WebhookPayload {
  const payload = common(message);
  payload.Body = message.body ?? '';
  payload.NumMedia = String(media.length);
  payload.SmsStatus = 'received';
  // Not a webhook parameter: when Twilio received it. The resource's date_created ("when
  // the Message resource was created"); date_sent is, for an inbound message, "when Twilio
  // sent the HTTP request to your incoming message webhook URL", i.e. later, and is what
  // the read's DateSent filter compares
  // (https://www.twilio.com/docs/messaging/api/message-resource#message-properties).
  // Read back a day late, the message is still dated when the customer wrote it: the
  // 24-hour window counts from there (https://www.twilio.com/docs/whatsapp/key-concepts#the-24-hour-window-or-24-hour-session).
  payload[RECEIVED_AT_FIELD] = message.dateCreated.toISOString();
  // Twilio's WaId is the sender's WhatsApp ID: their number without the '+'.
  const waId = /^whatsapp:\+(\d+)$/.exec(message.from)?.[1];
  if (waId) payload.WaId = waId;
  media.forEach((m, i) => {
    payload[`MediaUrl${i}`] = m.url;
    payload[`MediaContentType${i}`] = m.contentType;
  });
  return payload;
}

/** The status callback's parameters for the message's current status. */
export function statusCallbackPayload(message: TwilioMessage): WebhookPayload {
  const payload = common(message);
  payload.MessageStatus = message.status;
  payload.SmsStatus = message.status;
  if (message.errorCode !== null) payload.ErrorCode = String(message.errorCode);
  if (message.errorMessage) payload.ErrorMessage = message.errorMessage;
  return payload;
}

/** The event row of a recovered inbound message. */
export function recoveredMessageEvent(
  connectionId: string,
  message: TwilioMessage,
  media: readonly TwilioMedia[],
): NewWebhookEvent {
  return {
    connectionId,
    messageSid: message.sid,
    eventType: 'message',
    messageStatus: null,
    idempotencyKey: webhookEventIdempotencyKey('message', message.sid, null),
    payloadJson: JSON.stringify(inboundMessagePayload(message, media)),
    // No raw body was received: nothing to hash.
    payloadHash: null,
  };
}

/** The event row of a recovered outbound status. */
export function recoveredStatusEvent(connectionId: string, message: TwilioMessage): NewWebhookEvent {
  return {
    connectionId,
    messageSid: message.sid,
    eventType: 'status',
    messageStatus: message.status,
    idempotencyKey: webhookEventIdempotencyKey('status', message.sid, message.status),
    payloadJson: JSON.stringify(statusCallbackPayload(message)),
    payloadHash: null,
  };
}
