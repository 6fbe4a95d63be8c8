import {
  adoptQueuedSend,
  type ClaimedWebhookEvent,
  insertInboundMessages,
  isMessageStatus,
  type MessageStatusChange,
  moveMessageStatusForward,
  type Queryable,
  recordUnknownOutbound,
} from '@app/db';
import { inboundMessage, UnusablePayloadError } from './inbound-message.ts';
import { field } from './payload.ts';

/**
 * 'applied': done. 'deferred': a status callback for a MessageSid we do not know
 * yet (the send stores its SID only after Twilio answers); try again later.
 */
export type ApplyResult = 'applied' | 'deferred';

export interface ApplyOptions {
  unknownSidGraceMs: number;
  /**
   * A SID-less queued send younger than this may still be waiting for Twilio's
   * answer (the adapter gives up after 10 s by default): it is not adopted.
   */
  adoptSendsOlderThanMs: number;
  now: number;
}

/** Applies one webhook event to twilio_whatsapp_messages inside the caller's transaction. */
export async function applyWebhookEvent(
  on: Queryable,
  event: ClaimedWebhookEvent,
  options: ApplyOptions,
): Promise<ApplyResult> {
  if (event.eventType === 'message') {
    await applyInboundMessages(on, [event]);
    return 'applied';
  }
  return applyStatusCallback(on, event, options);
}

/**
 * Inbound messages are stored once per MessageSid, whatever the number of copies:
 * one multi-row insert for a whole batch. Throws UnusablePayloadError (before
 * touching the database) if any payload lacks From or To.
 */
export async function applyInboundMessages(on: Queryable, events: readonly ClaimedWebhookEvent[]) {
  await insertInboundMessages(
    on,
    events.map((e) => inboundMessage(e.connectionId, e.messageSid, e.payload, e.source)),
  );
}

/** Twilio's numeric ErrorCode of a status callback, if any. */
function twilioErrorCode(event: ClaimedWebhookEvent): number | null {
  const s = field(event.payload, 'ErrorCode');
  const n = s === null ? Number.NaN : Number.parseInt(s, 10);
  return Number.isInteger(n) ? n : null;
}

/**
 * Moves the message's status forward. A callback for a SID not stored yet waits
 * (the grace period), then may be our own send whose SID was lost (adopted), or a
 * message sent from outside the app (recorded from the callback).
 */
async function applyStatusCallback(
  on: Queryable,
  event: ClaimedWebhookEvent,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const status = event.messageStatus ?? '';
  // A status our table does not know (Twilio adds some now and then) changes nothing.
  if (!isMessageStatus(status)) return 'applied';
  const change: MessageStatusChange = {
    connectionId: event.connectionId,
    messageSid: event.messageSid,
    status,
    twilioErrorCode: twilioErrorCode(event),
    errorMessage: field(event.payload, 'ErrorMessage'),
  };
  if (await moveMessageStatusForward(on, change)) return 'applied';

  if (options.now - event.createdMs < options.unknownSidGraceMs) return 'deferred';

  const fromNumber = field(event.payload, 'From');
  const toNumber = field(event.payload, 'To');
  if (!fromNumber || !toNumber)
    throw new UnusablePayloadError('status callback for an unknown message without From or To');
  const unknown = { ...change, fromNumber, toNumber };

  const adoption = await adoptQueuedSend(on, unknown, options.adoptSendsOlderThanMs);
  if (adoption === 'adopted') return 'applied';
  if (adoption === 'wait') return 'deferred';

  // Someone stored it meanwhile: apply the status to that row instead.
  if (!(await recordUnknownOutbound(on, unknown))) await moveMessageStatusForward(on, change);
  return 'applied';
}
