import { countPendingWebhookEvents, ServiceRole } from '@app/db';
import fp from 'fastify-plugin';
import type { AppServices } from '../services.ts';
import { ConnectionCache, type ConnectionCacheOptions } from './connection-cache.ts';
import { DeliveryLogRecorder, type DeliveryLogRecorderOptions } from './delivery-log-recorder.ts';
import { EventBatcher } from './event-batcher.ts';
import { twilioWebhookRoutes } from './routes.ts';
import { SignedDeliveryRecorder } from './signed-deliveries.ts';
import { workerMetrics } from './webhook-metrics.ts';
import { WebhookWorker, type WebhookWorkerOptions } from './worker.ts';
import { WorkerThread } from './worker-host.ts';

// Twilio's WhatsApp webhooks, top to bottom: routes.ts (intake) -> connection-cache.ts
// and signature.ts (verify) -> webhook-event.ts and event-batcher.ts (store, and the
// NOTIFY in the same statement) -> worker.ts (claim, settle) -> apply-event.ts (apply).
// The rest of the server reaches this feature through this file only.

// Options for buildServer, and units the tests exercise on their own.
export { ConnectionCache } from './connection-cache.ts';
export { MalformedFormBodyError, parseFormBody } from './payload.ts';
export { isValidTwilioSignature, signedWebhookUrl } from './signature.ts';
export type { ConnectionCacheOptions, WebhookWorkerOptions };

export interface TwilioWebhooksOptions {
  services: AppServices;
  /** Default: `services.sql`, switching to service_role in each transaction. */
  serviceRole?: ServiceRole;
  /** The worker runs unless `enabled: false` (tests then drive `app.webhookWorker.runOnce()`). */
  worker?: WebhookWorkerOptions;
  connectionCache?: ConnectionCacheOptions;
  deliveryLog?: DeliveryLogRecorderOptions;
  /**
   * Called each time the intake answers 503 (database unavailable): Twilio will not
   * send that delivery again, so it must be read back from Twilio later.
   */
  onDatabaseUnavailable?: () => void;
}

/**
 * The webhook intake routes, the connection cache behind them and the worker that
 * applies stored events. The worker starts when the app is ready and finishes its
 * current batch at close. Not encapsulated (fastify-plugin) only so that
 * `app.webhookWorker` and `app.webhookConnections` reach the app (tests drive the
 * worker and look into the cache); the routes keep their own scope.
 */
export const twilioWebhooks = fp<TwilioWebhooksOptions>(
  async (app, options) => {
    const { services } = options;
    const serviceRole = options.serviceRole ?? ServiceRole.switchingOn(services.sql);
    const connections = new ConnectionCache(serviceRole, services.vault, options.connectionCache);
    const batcher = new EventBatcher(serviceRole);
    const signedDeliveries = new SignedDeliveryRecorder(serviceRole, app.log);
    const deliveryLog = new DeliveryLogRecorder(serviceRole, app.log, options.deliveryLog);
    const { enabled = true, thread, ...workerOptions } = options.worker ?? { enabled: true };
    const recordBatch = workerMetrics(services.metrics, () => serviceRole.run(countPendingWebhookEvents));
    // In-process: what tests drive (runOnce, prune) and, without `thread`, what runs.
    const worker = new WebhookWorker(serviceRole, recordBatch, app.log, workerOptions);
    const workerThread =
      enabled && thread
        ? new WorkerThread({ databaseUrl: thread.databaseUrl, tuning: workerOptions }, recordBatch, app.log)
        : undefined;
    if (workerThread) {
      services.metrics.gauge(
        'twilio_webhook_worker_thread_heap_used_after_full_gc_bytes',
        "The webhook worker thread's V8 heap in use just after its latest full collection, as of its last batch",
        async () => workerThread.heapAfterFullGcBytes,
      );
      services.metrics.gauge(
        'twilio_webhook_worker_thread_heap_used_bytes',
        "The webhook worker thread's V8 heap in use, as of its last batch",
        // Absent until the thread has reported a batch.
        async () => workerThread.heapUsedBytes,
      );
    }
    app.decorate('webhookWorker', worker);
    app.decorate('webhookConnections', connections);
    app.decorate('webhookSignedDeliveries', signedDeliveries);
    app.decorate('webhookDeliveryLog', deliveryLog);

    await app.register(twilioWebhookRoutes, {
      services,
      connections,
      batcher,
      signedDeliveries,
      deliveryLog,
      ...(options.onDatabaseUnavailable ? { onDatabaseUnavailable: options.onDatabaseUnavailable } : {}),
    });

    app.addHook('onReady', async () => {
      await connections.listen();
      deliveryLog.start();
      // Not awaited: loading the thread's modules can take seconds on a busy machine
      // (past Fastify's plugin timeout), and nothing waits for it: stored events stay
      // pending until it claims them.
      if (workerThread) void workerThread.start().catch(() => {});
      else if (enabled) await worker.start();
    });
    app.addHook('onClose', async () => {
      await batcher.drain();
      await signedDeliveries.drain();
      await deliveryLog.stop();
      await worker.stop();
      await workerThread?.stop();
      await connections.close();
    });
  },
  { name: 'twilio-webhooks' },
);

declare module 'fastify' {
  interface FastifyInstance {
    webhookWorker: WebhookWorker;
    /** The intake's connection cache (tests look into it). */
    webhookConnections: ConnectionCache;
    /** Which Auth Token signed recent deliveries (tests wait for its writes). */
    webhookSignedDeliveries: SignedDeliveryRecorder;
    /** Delivery counts and refused deliveries, written every few seconds (tests flush it). */
    webhookDeliveryLog: DeliveryLogRecorder;
  }
}
