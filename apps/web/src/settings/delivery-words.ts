import type { DeliveryVerdict, EventOutcome, WebhookEventSource, WebhookEventType } from '@app/contracts';

// The delivery log's words: one place, so the counts, the filters and the rows say
// the same thing.

/** Each verdict as a person reads it, with what it means. */
export const verdictWords: Record<DeliveryVerdict, { label: string; meaning: string }> = {
  accepted: { label: 'Accepted', meaning: 'signed by Twilio and stored' },
  repeated: { label: 'Repeated', meaning: 'a copy of a delivery already stored; answered and ignored' },
  badSignature: {
    label: 'Bad signature',
    meaning: 'refused: not signed with this connection’s Auth Token',
  },
  missingSignature: { label: 'No signature', meaning: 'refused: the request carried no Twilio signature' },
  unknownConnection: {
    label: 'Disconnected connection',
    meaning: 'refused: sent to this number after it was disconnected',
  },
  processingFailed: { label: 'Failed to apply', meaning: 'stored, but applying it failed every attempt' },
  recovered: { label: 'Recovered', meaning: 'not delivered by a webhook; read back from Twilio' },
};

/** The verdicts a refusal counts under (shown as a warning when not zero). */
export const refusalVerdicts = new Set<DeliveryVerdict>([
  'badSignature',
  'missingSignature',
  'unknownConnection',
  'processingFailed',
]);

export const outcomeLabels: Record<EventOutcome, string> = {
  applied: 'Processed',
  pending: 'Pending',
  retrying: 'Retrying',
  failed: 'Failed',
};

export const outcomeFilterLabels: Record<EventOutcome, string> = {
  applied: 'Processed',
  pending: 'Waiting for the first try',
  retrying: 'Retrying',
  failed: 'Failed',
};

export const sourceLabels: Record<WebhookEventSource, string> = {
  webhook: 'Sent by Twilio',
  reconciliation: 'Read back from Twilio',
};

export const typeLabels: Record<WebhookEventType, string> = {
  message: 'Inbound messages',
  status: 'Status callbacks',
};
