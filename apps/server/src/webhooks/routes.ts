import type { RefusedVerdict } from '@app/contracts';
import { isDatabaseUnavailable, type SigningToken, type WebhookEventType } from '@app/db';
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { lazyChildLogger } from '../observability/lazy-child-logger.ts';
import type { AppServices } from '../services.ts';
import { CredentialDecryptionError } from '../vault/credential-vault.ts';
import type { ActiveConnection, ConnectionCache } from './connection-cache.ts';
import type { DeliveryLogRecorder } from './delivery-log-recorder.ts';
import { type EventBatcher, isMissingConnection, isRowRejected } from './event-batcher.ts';
import { OutageLog } from './outage-log.ts';
import { MalformedFormBodyError, parseFormBody, type WebhookPayload } from './payload.ts';
import { isValidTwilioSignature, signedWebhookUrl } from './signature.ts';
import type { SignedDeliveryRecorder } from './signed-deliveries.ts';
import { webhookEventRow } from './webhook-event.ts';
import { type DeliveryOutcome, deliveryCounter } from './webhook-metrics.ts';

export interface TwilioWebhookPluginOptions {
  services: AppServices;
  connections: ConnectionCache;
  batcher: EventBatcher;
  signedDeliveries: SignedDeliveryRecorder;
  deliveryLog: DeliveryLogRecorder;
  /** A delivery was answered 503 (see TwilioWebhooksOptions). */
  onDatabaseUnavailable?: () => void;
}

/** How /metrics counts each refusal the delivery log keeps (400 and 403 both as rejected_signature). */
const refusedOutcome: Record<RefusedVerdict, DeliveryOutcome> = {
  unknownConnection: 'not_found',
  missingSignature: 'rejected_signature',
  badSignature: 'rejected_signature',
};

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';
const FORM = 'application/x-www-form-urlencoded';
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/**
 * Twilio's WhatsApp webhooks: inbound messages and status callbacks. Its own
 * encapsulated scope: only form bodies are accepted here, kept raw for the
 * signature check and the payload hash; nothing is stored before the connection
 * is found and the signature is valid, and the 200 goes out only after commit.
 */
export const twilioWebhookRoutes: FastifyPluginAsync<TwilioWebhookPluginOptions> = async (
  app,
  { services, connections, batcher, signedDeliveries, deliveryLog, onDatabaseUnavailable },
) => {
  const countDelivery = deliveryCounter(services.metrics);
  // The server's logger, not a request's: the outage's lines are about the process.
  const outageLog = new OutageLog(app.log);

  // Only the form parser in this scope: JSON, text and anything else get 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: WEBHOOK_BODY_LIMIT }, (_req, body, done) =>
    done(null, body),
  );

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const route: WebhookEventType = request.routeOptions.url?.endsWith('/status') ? 'status' : 'message';
    const status =
      error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'webhook intake failed');
    countDelivery(route, status === 500 ? 'error' : 'bad_request');
    return reply
      .code(status)
      .type('text/plain')
      .send(status === 500 ? 'Internal error' : error.message);
  });

  async function intake(eventType: WebhookEventType, request: FastifyRequest, reply: FastifyReply) {
    const { connectionId } = request.params as { connectionId: string };
    if (!request.headers['content-type']?.toLowerCase().startsWith(FORM)) {
      countDelivery(eventType, 'bad_request');
      return reply.code(415).type('text/plain').send(`Expected ${FORM}`);
    }
    // An empty body never reaches the parser; it is then a delivery without MessageSid.
    const rawBody = typeof request.body === 'string' ? request.body : '';

    let connection: Awaited<ReturnType<ConnectionCache['get']>>;
    try {
      connection = await connections.get(connectionId);
    } catch (error) {
      if (isDatabaseUnavailable(error)) return unavailable(eventType, reply, error);
      // Anything else is a fault of ours, not the database's absence: 500 (error handler).
      if (!(error instanceof CredentialDecryptionError)) throw error;
      // A key missing from CREDENTIALS_ENCRYPTION_KEYS: an operator must act.
      countDelivery(eventType, 'error');
      request.log.error({ connectionId, reason: error.message }, 'webhook intake: token not decryptable');
      return reply.code(500).type('text/plain').send('Internal error');
    }
    if (!connection) {
      refused(eventType, 'unknownConnection', connectionId, request);
      return reply.code(404).type('text/plain').send('Unknown or disconnected connection');
    }

    const signature = request.headers['x-twilio-signature'];
    if (typeof signature !== 'string' || signature.length === 0) {
      refused(eventType, 'missingSignature', connection.id, request);
      return reply.code(400).type('text/plain').send('Missing X-Twilio-Signature');
    }

    let params: ReturnType<typeof parseFormBody>;
    try {
      params = parseFormBody(rawBody);
    } catch (error) {
      if (!(error instanceof MalformedFormBodyError)) throw error;
      countDelivery(eventType, 'bad_request');
      return reply.code(400).type('text/plain').send(error.message);
    }

    const url = signedWebhookUrl(services.publicUrl, request.raw.url ?? request.url);
    const signedWith = tokenThatSigned(connection, signature, url, params);
    if (!signedWith) {
      refused(eventType, 'badSignature', connection.id, request);
      return reply.code(403).type('text/plain').send('Invalid X-Twilio-Signature');
    }
    signedDeliveries.seen(connection.id, signedWith);

    const row = webhookEventRow(connection.id, eventType, params, rawBody);
    if (!row) {
      countDelivery(eventType, 'bad_request');
      return reply.code(400).type('text/plain').send('Missing MessageSid');
    }

    let outcome: Awaited<ReturnType<EventBatcher['store']>>;
    try {
      outcome = await batcher.store(row);
    } catch (error) {
      if (isMissingConnection(error)) {
        connections.invalidate(connection.id);
        refused(eventType, 'unknownConnection', connection.id, request);
        return reply.code(404).type('text/plain').send('Unknown or disconnected connection');
      }
      if (isRowRejected(error)) {
        countDelivery(eventType, 'bad_request');
        request.log.warn({ err: error }, 'webhook intake: delivery refused by the database');
        return reply.code(400).type('text/plain').send('This delivery cannot be stored');
      }
      if (isDatabaseUnavailable(error)) return unavailable(eventType, reply, error);
      throw error;
    }
    outageLog.reachable();
    countDelivery(eventType, outcome);
    deliveryLog.record(connection.id, eventType, outcome === 'accepted' ? 'accepted' : 'repeated');
    if (eventType === 'message') return reply.code(200).type('text/xml').send(EMPTY_TWIML);
    return reply.code(200).send();
  }

  /**
   * A refused delivery: counted on /metrics by its outcome and kept in the delivery
   * log with its verdict (415s, 400s for malformed bodies, 500s and 503s are /metrics only).
   */
  function refused(
    eventType: WebhookEventType,
    verdict: RefusedVerdict,
    connectionId: string,
    request: FastifyRequest,
  ) {
    countDelivery(eventType, refusedOutcome[verdict]);
    deliveryLog.record(connectionId, eventType, verdict, request.ip);
  }

  /**
   * Which of the connection's tokens made the signature: the current one first (the
   * common case costs what it always did), then the one the last update replaced
   * while its grace period lasts. Until the new token is promoted in Twilio's console
   * Twilio signs with the old one (https://www.twilio.com/docs/iam/api/authtoken:
   * promoting deletes the old primary), and a 403 is never retried by Twilio.
   */
  function tokenThatSigned(
    connection: ActiveConnection,
    signature: string,
    url: string,
    params: WebhookPayload,
  ): SigningToken | null {
    if (isValidTwilioSignature(connection.authToken, signature, url, params)) return 'current';
    const { previousAuthToken, previousTokenExpiresAt } = connection;
    if (
      previousAuthToken !== null &&
      previousTokenExpiresAt !== null &&
      Date.now() < previousTokenExpiresAt &&
      isValidTwilioSignature(previousAuthToken, signature, url, params)
    )
      return 'previous';
    return null;
  }

  function unavailable(eventType: WebhookEventType, reply: FastifyReply, error: unknown) {
    // Not acknowledged: nothing was stored. Whether Twilio sends it again depends on
    // the URL's retry policy (Twilio documents retries of failed connections by
    // default; retrying 5xx answers needs a `#rp=` connection override on the URL).
    // Any copy that does arrive later is stored once.
    countDelivery(eventType, 'unavailable');
    // Twilio does not send a 503'd delivery again (it retries a failed connection
    // only): once the database is back, what was refused is read back from Twilio.
    onDatabaseUnavailable?.();
    outageLog.unavailable(error);
    return reply.code(503).header('retry-after', '5').type('text/plain').send('Temporarily unavailable');
  }

  // Request logging at info would cost more than the intake itself under load: these
  // routes log at warn or above (or at the server's level, if that is quieter).
  const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
  type Level = (typeof levels)[number];
  const serverLevel = levels.find((l) => l === app.log.level) ?? 'info';
  // Security headers are for browsers; Twilio reads none of them. The request's
  // logger is made only if the request logs (lazyChildLogger).
  const routeOptions = {
    helmet: false as const,
    logLevel: (levels.indexOf(serverLevel) > levels.indexOf('warn') ? serverLevel : 'warn') as Level,
    childLoggerFactory: lazyChildLogger,
  };
  app.post('/webhooks/twilio/whatsapp/:connectionId', routeOptions, (request, reply) =>
    intake('message', request, reply),
  );
  app.post('/webhooks/twilio/whatsapp/:connectionId/status', routeOptions, (request, reply) =>
    intake('status', request, reply),
  );
};
