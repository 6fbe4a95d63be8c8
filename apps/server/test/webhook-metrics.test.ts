import { describe, expect, it } from 'vitest';
import { Metrics } from '../src/observability/metrics.ts';
import { workerMetrics } from '../src/webhooks/webhook-metrics.ts';

// The worker's batch reports on /metrics: outcomes counted per batch (not per event),
// and the lag as a histogram whose buckets add up across processes.

function series(text: string, name: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('workerMetrics', () => {
  it('counts every outcome of a batch and puts each lag in its buckets', async () => {
    const metrics = new Metrics();
    const record = workerMetrics(metrics, async () => 7);
    record({ outcomes: ['processed', 'processed', 'retried', 'processed'], lagSeconds: [0.02, 3, 0.2] });
    record({ outcomes: ['failed'], lagSeconds: [] });
    const text = await metrics.render();

    expect(series(text, 'twilio_webhook_worker_events_total{outcome="processed"}')).toBe(3);
    expect(series(text, 'twilio_webhook_worker_events_total{outcome="retried"}')).toBe(1);
    expect(series(text, 'twilio_webhook_worker_events_total{outcome="failed"}')).toBe(1);
    expect(text).toContain('# TYPE twilio_webhook_processing_lag_seconds histogram');
    expect(series(text, 'twilio_webhook_processing_lag_seconds_bucket{le="0.01"}')).toBe(0);
    expect(series(text, 'twilio_webhook_processing_lag_seconds_bucket{le="0.025"}')).toBe(1);
    expect(series(text, 'twilio_webhook_processing_lag_seconds_bucket{le="0.25"}')).toBe(2);
    expect(series(text, 'twilio_webhook_processing_lag_seconds_bucket{le="5"}')).toBe(3);
    expect(series(text, 'twilio_webhook_processing_lag_seconds_bucket{le="+Inf"}')).toBe(3);
    expect(series(text, 'twilio_webhook_processing_lag_seconds_count')).toBe(3);
    expect(series(text, 'twilio_webhook_processing_lag_seconds_sum')).toBeCloseTo(3.22, 5);
    expect(series(text, 'twilio_webhook_events_pending')).toBe(7);
  });
});
