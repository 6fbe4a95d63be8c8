import type { FastifyPluginAsync } from 'fastify';
import type { AppServices } from '../services.ts';

/** How long /readyz waits for the database before answering 503. */
export const READINESS_DEADLINE_MS = 1_000;
/** A probe query still pending after this long no longer holds back a new one. */
const PROBE_RETRY_AFTER_MS = 10_000;

/**
 * `select 1` on the app's pool with its own deadline. During an outage postgres.js
 * queues queries behind its reconnect backoff (growing to 20 s per attempt), so an
 * unbounded probe stopped answering after ~14 s; one probe in flight at a time keeps
 * repeated checks from piling queries onto that queue.
 */
export function readinessProbe(query: () => Promise<unknown>, deadlineMs = READINESS_DEADLINE_MS) {
  let inFlight: { promise: Promise<boolean>; startedAt: number } | undefined;
  return async (): Promise<boolean> => {
    if (!inFlight || Date.now() - inFlight.startedAt > PROBE_RETRY_AFTER_MS) {
      const current = {
        startedAt: Date.now(),
        promise: query().then(
          () => true,
          () => false,
        ),
      };
      inFlight = current;
      void current.promise.finally(() => {
        if (inFlight === current) inFlight = undefined;
      });
    }
    const probe = inFlight;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), deadlineMs);
    });
    try {
      return await Promise.race([probe.promise, deadline]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/** /healthz: the process is up. /readyz: the database answers within 1 s. /metrics: Prometheus text. */
export const healthRoutes: FastifyPluginAsync<{ services: AppServices }> = async (app, { services }) => {
  const databaseAnswers = readinessProbe(() => services.sql`select 1`.execute());

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    if (await databaseAnswers()) return { status: 'ready' };
    return reply.code(503).send({ status: 'unavailable', reason: 'database unreachable' });
  });

  app.get('/metrics', async (_req, reply) => {
    reply.type(services.metrics.contentType);
    return services.metrics.render();
  });
};
