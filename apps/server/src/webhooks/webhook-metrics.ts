import { webhookEventTypes } from '@app/contracts';
import type { WebhookEventType } from '@app/db';
import type { Metrics } from '../observability/metrics.ts';

const deliveryOutcomes = [
  'accepted',
  'duplicate',
  'rejected_signature',
  'not_found',
  'bad_request',
  'unavailable',
  'error',
] as const;
export type DeliveryOutcome = (typeof deliveryOutcomes)[number];

/**
 * Counts webhook deliveries by route and outcome on /metrics. The intake is a hot
 * path: a delivery adds one to a plain number, and the labelled series are written
 * from those numbers only when /metrics is scraped.
 */
export function deliveryCounter(metrics: Metrics) {
  const tally = Object.fromEntries(
    webhookEventTypes.map((route) => [route, Object.fromEntries(deliveryOutcomes.map((o) => [o, 0]))]),
  ) as Record<WebhookEventType, Record<DeliveryOutcome, number>>;
  metrics.counter(
    'twilio_webhook_deliveries_total',
    'Twilio webhook deliveries by route and outcome',
    ['outcome', 'route'],
    (counter) => {
      for (const route of webhookEventTypes) {
        for (const outcome of deliveryOutcomes) {
          const n = tally[route][outcome];
          if (n > 0) counter.inc({ outcome, route }, n);
        }
      }
    },
  );
  return (route: WebhookEventType, outcome: DeliveryOutcome) => {
    tally[route][outcome]++;
  };
}
