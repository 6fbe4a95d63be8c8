import type { Metrics } from '../observability/metrics.ts';

export type DeliveryOutcome =
  | 'accepted'
  | 'duplicate'
  | 'rejected_signature'
  | 'not_found'
  | 'bad_request'
  | 'unavailable'
  | 'error';

/** Counts webhook deliveries by outcome on /metrics. */
export function deliveryCounter(metrics: Metrics) {
  const counter = metrics.counter(
    'twilio_webhook_deliveries_total',
    'Twilio webhook deliveries by route and outcome',
  );
  const incrementers = new Map<string, () => void>();
  return (route: 'message' | 'status', outcome: DeliveryOutcome) => {
    const key = `${route} ${outcome}`;
    let inc = incrementers.get(key);
    if (!inc) {
      inc = counter.with({ route, outcome });
      incrementers.set(key, inc);
    }
    inc();
  };
}
