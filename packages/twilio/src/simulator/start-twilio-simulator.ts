import type { FastifyInstance } from 'fastify';
import Fastify from 'fastify';
import { registerControlRoutes } from './control-routes.ts';
import type { SimulatorOptions } from './core/options.ts';
import { registerTwilioRestRoutes } from './core/rest-routes.ts';
import { Simulator, twilioOpenApi } from './simulator.ts';

export interface TwilioSimulatorOptions extends SimulatorOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  logger?: boolean;
}

export interface RunningTwilioSimulator {
  /** Give this to the adapter as `apiBaseUrl` (TWILIO_API_BASE_URL). */
  url: string;
  sim: Simulator;
  app: FastifyInstance;
  close(): Promise<void>;
}

/** The simulator as a Fastify app, not listening yet (for `app.inject`). */
export function buildTwilioSimulatorApp(sim: Simulator, options: { logger?: boolean } = {}): FastifyInstance {
  const app = Fastify({ logger: options.logger ?? false, forceCloseConnections: true });
  registerTwilioRestRoutes(app, sim.core, twilioOpenApi(), sim.operations());
  registerControlRoutes(app, sim);
  return app;
}

export async function startTwilioSimulator(
  options: TwilioSimulatorOptions = {},
): Promise<RunningTwilioSimulator> {
  const { host = '127.0.0.1', port = 0, logger, ...simOptions } = options;
  const sim = new Simulator(simOptions);
  const app = buildTwilioSimulatorApp(sim, logger === undefined ? {} : { logger });
  await app.listen({ host, port });
  const address = app.server.address();
  const boundPort = typeof address === 'object' && address !== null ? address.port : port;
  return {
    url: `http://${host}:${boundPort}`,
    sim,
    app,
    async close() {
      await sim.waitForIdle();
      await app.close();
    },
  };
}
