import type { FastifyInstance } from 'fastify';
import { registerAccountRoutes } from './control-account-routes.ts';
import { SimulatorError } from './core/errors.ts';
import type { InjectedFault } from './core/faults.ts';
import type { SimulatorOptions } from './core/options.ts';
import type { InboundMessageInput, MessageStatus } from './messages/types.ts';
import type { Simulator } from './simulator.ts';

/**
 * The simulator's own JSON API under `/_simulator`, so tests and the demo in
 * another process can seed it, play the customer's side and read its state.
 */
export function registerControlRoutes(app: FastifyInstance, sim: Simulator) {
  app.register(
    async (scope) => {
      scope.setErrorHandler((error, _request, reply) => {
        const statusCode = (error as { statusCode?: number }).statusCode;
        const status = error instanceof SimulatorError ? 400 : (statusCode ?? 500);
        return reply.code(status).send({ error: error instanceof Error ? error.message : String(error) });
      });

      registerAccountRoutes(scope, sim);
      registerMessageRoutes(scope, sim);
      registerStateRoutes(scope, sim);
    },
    { prefix: '/_simulator' },
  );
}

/** Playing the customer's side and stepping messages. */
function registerMessageRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.post<{ Body: InboundMessageInput }>('/inbound', async (request) => sim.deliverInbound(request.body));

  scope.get<{ Querystring: { accountSid?: string } }>('/messages', async (request) =>
    sim.messages(request.query.accountSid),
  );

  scope.post<{ Params: { sid: string }; Body: { status: MessageStatus; errorCode?: number } }>(
    '/messages/:sid/status',
    async (request) => sim.advanceStatus(request.params.sid, request.body.status, request.body.errorCode),
  );

  scope.get<{ Querystring: { accountSid?: string; messageSid?: string; kind?: 'inbound' | 'status' } }>(
    '/deliveries',
    async (request) => sim.deliveries(request.query),
  );
}

/** Reading what happened, faults, switches, idling and reset. */
function registerStateRoutes(scope: FastifyInstance, sim: Simulator) {
  scope.get('/oai-violations', async () => sim.oaiViolations());
  scope.delete('/oai-violations', async (_request, reply) => {
    sim.clearOaiViolations();
    return reply.code(204).send();
  });

  scope.get('/requests', async () => sim.apiRequests());

  scope.post<{ Body: InjectedFault }>('/faults', async (request, reply) => {
    sim.injectFault(request.body);
    return reply.code(204).send();
  });
  scope.delete('/faults', async (_request, reply) => {
    sim.clearFaults();
    return reply.code(204).send();
  });

  scope.patch<{ Body: Omit<SimulatorOptions, 'now'> }>('/config', async (request, reply) => {
    sim.configure(request.body ?? {});
    return reply.code(204).send();
  });

  scope.post('/wait-for-idle', async (_request, reply) => {
    await sim.waitForIdle();
    return reply.code(204).send();
  });

  scope.post('/reset', async (_request, reply) => {
    sim.reset();
    return reply.code(204).send();
  });
}
