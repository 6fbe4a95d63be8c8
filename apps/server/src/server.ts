import type { Writable } from 'node:stream';
import { type Database, isQueryError, ServiceRole, withoutQueryParameters } from '@app/db';
import type { TwilioAdapter } from '@app/twilio';
import fastifyCookie from '@fastify/cookie';
import fastifyHelmet from '@fastify/helmet';
import { type FastifyTRPCPluginOptions, fastifyTRPCPlugin } from '@trpc/server/adapters/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type postgres from 'postgres';
import { healthRoutes } from './health/routes.ts';
import { Metrics } from './observability/metrics.ts';
import { redactedPaths } from './observability/redact.ts';
import { Reconciler, type ReconciliationOptions } from './reconciliation/index.ts';
import type { AppServices } from './services.ts';
import { registerSpa } from './spa/routes.ts';
import { createContextFactory } from './trpc/context.ts';
import {
  defaultProcedureRateLimits,
  fastifyTrustProxy,
  ProcedureRateLimiter,
  type ProcedureRateLimits,
} from './trpc/rate-limits.ts';
import { type AppRouter, appRouter } from './trpc/root.ts';
import type { CredentialVault } from './vault/credential-vault.ts';
import { twilioWebhooks, type WebhookWorkerOptions } from './webhooks/index.ts';

export interface ServerOptions {
  db: Database;
  sql: postgres.Sql;
  publicUrl: URL;
  sessionSecret: string;
  /** Log level; 'silent' in tests unless a stream is given. */
  logLevel?: string;
  /** Where log lines go (tests capture them to prove no credential is logged). */
  logStream?: Writable;
  /** The built SPA (apps/web/dist); not served when absent. */
  webDistDir?: string;
  /** Proxies in front to trust X-Forwarded-* from: a hop count or their IPs/CIDRs (env TRUST_PROXY). */
  trustProxy?: number | string[];
  vault: CredentialVault;
  twilio: TwilioAdapter;
  /** How the webhook path acts as service_role; default: `sql`, switching role per transaction. */
  serviceRole?: ServiceRole;
  /** The webhook worker; on unless `enabled: false` (tests drive `app.webhookWorker.runOnce()`). */
  worker?: WebhookWorkerOptions;
  /** Per-procedure limits by client IP or email (sign-in, sign-up, connect); tests lower or raise them. */
  rateLimits?: ProcedureRateLimits;
  /** Shared with what is built before the server (the Twilio adapter counts its calls here). */
  metrics?: Metrics;
  /** Whole-request deadline, body included (default 30 s); tests lower it. */
  requestTimeoutMs?: number;
  /** Background reconciliation with Twilio (at startup, after an outage, periodic status checks). */
  reconciliation?: ReconciliationOptions;
}

/** Builds the app without listening: tests use `app.inject`, main.ts calls `listen`. */
export async function buildServer(options: ServerOptions): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger: {
      level: options.logLevel ?? 'info',
      redact: { paths: redactedPaths, censor: '[redacted]' },
      ...(options.logStream ? { stream: options.logStream } : {}),
    },
    trustProxy: fastifyTrustProxy(options.trustProxy),
    bodyLimit: 1024 * 1024,
    // Slow or stalled clients must not hold sockets forever. connectionTimeout is an idle
    // timeout (each byte resets it): a body that trickles in is cut by requestTimeout only.
    // Node must be given it at construction: it derives headersTimeout (min(60 s,
    // requestTimeout)) there, and with Fastify's later assignment alone headersTimeout stayed
    // 60 s above it and a trickled body was never cut on time (measured). Node checks the
    // deadline every connectionsCheckingInterval (default 30 s, i.e. up to 30 s late).
    requestTimeout,
    http: { requestTimeout, connectionsCheckingInterval: Math.min(1_000, requestTimeout / 4) },
    // The idle timeout must stay above the deadline of any Twilio call a handler waits for
    // (10 s, the adapter's timeoutMs): at 10 s it closed the socket while the handler still
    // waited, Chromium re-sent the POST, and 40 s later the person read "We could not reach
    // the server" (measured). requestTimeout still bounds the whole request.
    connectionTimeout: requestTimeout + 5_000,
    keepAliveTimeout: 72_000,
    routerOptions: { maxParamLength: 5000 },
    return503OnClosing: true,
  });

  const serviceRole = options.serviceRole ?? ServiceRole.switchingOn(options.sql);
  const reconciliation = new Reconciler(
    { serviceRole, twilio: options.twilio, vault: options.vault, log: app.log },
    options.reconciliation,
  );
  const services: AppServices = {
    db: options.db,
    sql: options.sql,
    publicUrl: options.publicUrl,
    metrics: options.metrics ?? new Metrics(),
    vault: options.vault,
    twilio: options.twilio,
    reconciliation,
  };
  app.decorate('services', services);
  // In the background once the server listens: readiness never waits for Twilio.
  app.addHook('onListen', () => {
    reconciliation.start();
  });
  app.addHook('onClose', () => reconciliation.stop());

  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        frameAncestors: ["'none'"],
        formAction: ["'self'"],
      },
    },
    strictTransportSecurity: options.publicUrl.protocol === 'https:',
  });
  await app.register(fastifyCookie, { secret: options.sessionSecret });

  await app.register(healthRoutes, { services });
  await app.register(twilioWebhooks, {
    services,
    serviceRole,
    onDatabaseUnavailable: () => reconciliation.deliveriesRefused(),
    ...(options.worker ? { worker: options.worker } : {}),
  });

  await app.register(fastifyTRPCPlugin, {
    prefix: '/trpc',
    trpcOptions: {
      router: appRouter,
      createContext: createContextFactory(
        services,
        new ProcedureRateLimiter(options.rateLimits ?? defaultProcedureRateLimits),
      ),
      onError({ error, path, ctx }) {
        if (error.code === 'INTERNAL_SERVER_ERROR') {
          // A failed query's message quotes its parameters (a token's ciphertext among them).
          const cause = error.cause ?? error;
          const err = isQueryError(cause) ? withoutQueryParameters(cause, `Procedure ${path ?? '?'}`) : cause;
          ctx?.req.log.error({ err, path }, 'procedure failed');
        }
      },
    } satisfies FastifyTRPCPluginOptions<AppRouter>['trpcOptions'],
  });

  if (options.webDistDir) await registerSpa(app, options.webDistDir);

  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    services: AppServices;
  }
}
