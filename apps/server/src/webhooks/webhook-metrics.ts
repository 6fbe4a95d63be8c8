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
  const lag = metrics.histogram(
    'twilio_webhook_processing_lag_seconds',
    'Seconds from intake (created_at) to processed_at',
    // From one commit's wait through the retries' backoff (about 2 minutes in all) to
    // catching up after an outage or a restart: 10 ms to 6 hours.
    [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21600],
  );
  metrics.gauge('twilio_webhook_events_pending', 'Webhook events waiting to be processed', countPending);
  return (batch: WorkerBatchReport) => {
    const byOutcome = new Map<string, number>();
    for (const outcome of batch.outcomes) byOutcome.set(outcome, (byOutcome.get(outcome) ?? 0) + 1);
    for (const [outcome, n] of byOutcome) outcomes.inc({ outcome }, n);
    for (const seconds of batch.lagSeconds) lag.observe(seconds);
  };
}
