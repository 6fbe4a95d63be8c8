import type { FastifyInstance } from 'fastify';
import type postgres from 'postgres';
import type { AppServices } from '../services.ts';
import { WebhookWorker, type WebhookWorkerOptions } from '../worker/webhook-worker.ts';
import { ConnectionCache, type ConnectionCacheOptions } from './connection-cache.ts';
import { EventBatcher } from './event-batcher.ts';
import { twilioWebhookRoutes } from './plugin.ts';

export interface TwilioWebhooksOptions {
  /**
   * A pool opened with `openServiceRolePool` (connections already service_role).
   * Absent: `services.sql`, with SET LOCAL ROLE service_role in each transaction.
   */
  serviceSql?: postgres.Sql;
  worker?: WebhookWorkerOptions;
  connectionCache?: ConnectionCacheOptions;
}

/**
 * The webhook intake routes, the connection cache behind them and the worker that
 * applies stored events. The worker starts when the app is ready and finishes its
 * current batch at close; `app.webhookWorker` lets tests drive it and
 * `app.webhookConnections` look into the cache.
 */
export async function registerTwilioWebhooks(
  app: FastifyInstance,
  services: AppServices,
  options: TwilioWebhooksOptions = {},
) {
  const sql = options.serviceSql ?? services.sql;
  const runsAsServiceRole = options.serviceSql !== undefined;
  const connections = new ConnectionCache(sql, services.vault, {
    runsAsServiceRole,
    ...options.connectionCache,
  });
  const batcher = new EventBatcher(sql, { runsAsServiceRole });
  const { enabled = true, ...workerOptions } = options.worker ?? { enabled: true };
  const worker = new WebhookWorker(sql, runsAsServiceRole, services.metrics, app.log, workerOptions);
  app.decorate('webhookWorker', worker);
  app.decorate('webhookConnections', connections);

  await app.register(twilioWebhookRoutes, { services, connections, batcher });

  app.addHook('onReady', async () => {
    await connections.listen();
    if (enabled) await worker.start();
  });
  app.addHook('onClose', async () => {
    await batcher.drain();
    await worker.stop();
    await connections.close();
  });
}

declare module 'fastify' {
  interface FastifyInstance {
    webhookWorker: WebhookWorker;
    /** The intake's connection cache (tests look into it). */
    webhookConnections: ConnectionCache;
  }
}
