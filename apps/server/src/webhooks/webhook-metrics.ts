import type { WebhookEventType } from '@app/db';
import type { Metrics } from '../observability/metrics.ts';

export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'rejected_signature'
  | 'not_found'
  | 'bad_request'
  | 'unavailable'
  | 'error';

/** Counts webhook deliveries by route and outcome on /metrics. */
export function deliveryCounter(metrics: Metrics) {
  const counter = metrics.counter(
    'twilio_webhook_deliveries_total',
    'Twilio webhook deliveries by route and outcome',
    ['outcome', 'route'],
  );
  // One labelled child per pair, looked up once: the intake is a hot path.
  const children = new Map<string, { inc(): void }>();
  return (route: WebhookEventType, outcome: DeliveryOutcome) => {
    const key = `${route} ${outcome}`;
    let child = children.get(key);
    if (!child) {
      child = counter.labels({ outcome, route });
      children.set(key, child);
    }
    child.inc();
  };
}
