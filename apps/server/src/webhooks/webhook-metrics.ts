import { webhookEventTypes } from '@app/contracts';
import type { WebhookEventType } from '@app/db';
import type { Metrics } from '../observability/metrics.ts';
import type { WorkerBatchReport } from './worker.ts';

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

/**
 * The worker's series: events by outcome, the intake-to-processed lag, and the
 * pending events (read from the database at scrape time). Returns what records a
 * batch's report, in whichever thread the worker ran it.
 */
export function workerMetrics(metrics: Metrics, countPending: () => Promise<number>) {
  const outcomes = metrics.counter(
    'twilio_webhook_worker_events_total',
    'Webhook events handled by the worker, by outcome (processed, deferred, retried, failed)',
    ['outcome'],
  );
  const lag = metrics.summary(
    'twilio_webhook_processing_lag_seconds',
    'Seconds from intake (created_at) to processed_at, recent events',
  );
  metrics.gauge('twilio_webhook_events_pending', 'Webhook events waiting to be processed', countPending);
  return (batch: WorkerBatchReport) => {
    for (const outcome of batch.outcomes) outcomes.inc({ outcome });
    for (const seconds of batch.lagSeconds) lag.observe(seconds);
  };
}
