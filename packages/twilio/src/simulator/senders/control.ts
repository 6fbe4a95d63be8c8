import type { SimIncomingNumber } from '../accounts/numbers.ts';
import { SimulatorError } from '../core/errors.ts';
import { SENDER_STATUSES, type SimSender, type SimSenderStatus } from './product.ts';

// What a test changes "at Twilio" from outside: a sender's status as Meta and Twilio
// would move it, and webhook URLs edited in Twilio's console. Checked here, so a typo
// in a test is a 400 with a sentence, not a sender in a state Twilio never has.

/** A change to a sender: every field optional; null clears. */
export interface SenderStateInput {
  status?: SimSenderStatus;
  offlineReasons?: { code?: string | null; message?: string | null; moreInfo?: string | null }[];
  qualityRating?: string | null;
  messagingLimit?: string | null;
  webhook?: { callbackUrl?: string | null; statusCallbackUrl?: string | null };
}

/** A change to a phone number's webhooks, as if edited in the console; null clears. */
export interface NumberWebhooksInput {
  smsUrl?: string | null;
  statusCallback?: string | null;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new SimulatorError(`${what} must be a JSON object`);
  return value as Record<string, unknown>;
}

function onlyKeys(value: Record<string, unknown>, allowed: readonly string[], what: string) {
  const unknown = Object.keys(value).filter((key) => !allowed.includes(key));
  if (unknown.length > 0)
    throw new SimulatorError(
      `${what} has unknown field(s) ${unknown.join(', ')}; allowed: ${allowed.join(', ')}`,
    );
}

function optionalText(value: unknown, name: string): string | null | undefined {
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string') throw new SimulatorError(`${name} must be a string or null`);
  return value;
}

/** An absolute http(s) URL, null (cleared) or undefined (unchanged). */
function optionalUrl(value: unknown, name: string): string | null | undefined {
  const text = optionalText(value, name);
  if (text === undefined || text === null) return text;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new SimulatorError(`${name} must be an absolute URL, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new SimulatorError(`${name} must be an http or https URL, got ${JSON.stringify(text)}`);
  return text;
}

/** Applies a checked SenderStateInput; going back ONLINE clears the offline reasons unless new ones are given. */
export function applySenderState(sender: SimSender, body: unknown): SimSender {
  const input = record(body, 'The body');
  onlyKeys(input, ['status', 'offlineReasons', 'qualityRating', 'messagingLimit', 'webhook'], 'The body');

  let status: SimSenderStatus | undefined;
  if (input.status !== undefined) {
    if (!SENDER_STATUSES.includes(input.status as SimSenderStatus))
      throw new SimulatorError(`status must be one of ${SENDER_STATUSES.join(', ')}`);
    status = input.status as SimSenderStatus;
  }
  let reasons: SimSender['offlineReasons'] | undefined;
  if (input.offlineReasons !== undefined) {
    if (!Array.isArray(input.offlineReasons)) throw new SimulatorError('offlineReasons must be an array');
    reasons = input.offlineReasons.map((item, i) => {
      const reason = record(item, `offlineReasons[${i}]`);
      onlyKeys(reason, ['code', 'message', 'moreInfo'], `offlineReasons[${i}]`);
      return {
        code: optionalText(reason.code, `offlineReasons[${i}].code`) ?? null,
        message: optionalText(reason.message, `offlineReasons[${i}].message`) ?? null,
        more_info: optionalUrl(reason.moreInfo, `offlineReasons[${i}].moreInfo`) ?? null,
      };
    });
  }
  const qualityRating = optionalText(input.qualityRating, 'qualityRating');
  const messagingLimit = optionalText(input.messagingLimit, 'messagingLimit');
  let callbackUrl: string | null | undefined;
  let statusCallbackUrl: string | null | undefined;
  if (input.webhook !== undefined) {
    const webhook = record(input.webhook, 'webhook');
    onlyKeys(webhook, ['callbackUrl', 'statusCallbackUrl'], 'webhook');
    callbackUrl = optionalUrl(webhook.callbackUrl, 'webhook.callbackUrl');
    statusCallbackUrl = optionalUrl(webhook.statusCallbackUrl, 'webhook.statusCallbackUrl');
  }

  // Everything checked: only now change the sender.
  if (status !== undefined) {
    sender.status = status;
    if (status === 'ONLINE' && reasons === undefined) sender.offlineReasons = [];
  }
  if (reasons !== undefined) sender.offlineReasons = reasons;
  if (qualityRating !== undefined) sender.qualityRating = qualityRating;
  if (messagingLimit !== undefined) sender.messagingLimit = messagingLimit;
  if (callbackUrl !== undefined) sender.webhook.callback_url = callbackUrl;
  if (statusCallbackUrl !== undefined) sender.webhook.status_callback_url = statusCallbackUrl;
  return sender;
}

/** Applies a checked NumberWebhooksInput. */
export function applyNumberWebhooks(number: SimIncomingNumber, body: unknown): SimIncomingNumber {
  const input = record(body, 'The body');
  onlyKeys(input, ['smsUrl', 'statusCallback'], 'The body');
  const smsUrl = optionalUrl(input.smsUrl, 'smsUrl');
  const statusCallback = optionalUrl(input.statusCallback, 'statusCallback');
  if (smsUrl !== undefined) number.smsUrl = smsUrl;
  if (statusCallback !== undefined) number.statusCallback = statusCallback;
  if (smsUrl !== undefined || statusCallback !== undefined) number.dateUpdated = new Date();
  return number;
}
