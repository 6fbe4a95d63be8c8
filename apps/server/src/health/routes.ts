import type { FastifyPluginAsync } from 'fastify';
import type { AppServices } from '../services.ts';

/** /healthz: the process is up. /readyz: the database answers. /metrics: Prometheus text. */
export const healthRoutes: FastifyPluginAsync<{ services: AppServices }> = async (app, { services }) => {
  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    try {
      await services.sql`select 1`.execute();
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
    }
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(services.metrics.contentType);
    return services.metrics.render();
  });
};
