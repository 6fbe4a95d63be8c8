import { randomBytes, randomUUID } from 'node:crypto';
import { type Database, ServiceRole } from '@app/db';
import { useTestDatabase } from '@app/db/vitest';
import { createTwilioAdapter } from '@app/twilio';
import type { FastifyInstance, InjectOptions } from 'fastify';
import type postgres from 'postgres';
import twilio from 'twilio';
import { afterAll, beforeAll } from 'vitest';
import { buildServer, type ServerOptions } from '../src/server.ts';
import { CredentialVault } from '../src/vault/credential-vault.ts';

export const WEBHOOK_PUBLIC_URL = new URL('https://hooks.example.com');
export const WEBHOOK_TEST_KEYS = `wk1:${Buffer.alloc(32, 7).toString('base64')}`;
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export interface SeededConnection {
  id: string;
  organizationId: string;
  accountSid: string;
  authToken: string;
  whatsappNumber: string;
}

/** An organization with one Twilio connection whose token is stored encrypted, as the connect flow stores it. */
export async function seedConnection(
  sql: postgres.Sql,
  vault: CredentialVault,
  options: { id?: string; authToken?: string; isActive?: boolean; organizationId?: string } = {},
): Promise<SeededConnection> {
  const authToken = options.authToken ?? randomBytes(16).toString('hex');
  const accountSid = `AC${randomBytes(16).toString('hex')}`;
  const whatsappNumber = `+1555${String(Math.floor(Math.random() * 1e7)).padStart(7, '0')}`;
  const organizationId =
    options.organizationId ??
    (await sql<{ id: string }[]>`insert into organizations (name) values ('Webhook test') returning id`)[0]!
      .id;
  const [row] = await sql<{ id: string }[]>`
    insert into twilio_whatsapp_connections
      (id, organization_id, twilio_account_sid, twilio_auth_token_hash, whatsapp_number, is_active)
    values (${options.id ?? randomUUID()}, ${organizationId}, ${accountSid}, 'pending', ${whatsappNumber},
            ${options.isActive ?? true})
    returning id`;
  const id = row!.id;
  const envelope = vault.encrypt(authToken, { rowId: id, accountSid });
  await sql`update twilio_whatsapp_connections set twilio_auth_token_hash = ${envelope} where id = ${id}`;
  return { id, organizationId, accountSid, authToken, whatsappNumber };
}

/** Disconnects a connection as `whatsapp.connections.delete` leaves it: token erased, row kept. */
export async function disconnectInDatabase(sql: postgres.Sql | postgres.TransactionSql, id: string) {
  await sql`
    update twilio_whatsapp_connections
    set twilio_auth_token_hash = null, disconnected_at = now(), is_active = false
    where id = ${id}`;
}

export const newMessageSid = (prefix = 'SM') => `${prefix}${randomBytes(16).toString('hex')}`;

export function inboundParams(
  messageSid: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AccountSid: `AC${'a'.repeat(32)}`,
    ApiVersion: '2010-04-01',
    Body: 'Hello 👋 & welcome',
    From: 'whatsapp:+14155550100',
    MessageSid: messageSid,
    NumMedia: '0',
    ProfileName: 'Ada',
    SmsMessageSid: messageSid,
    SmsSid: messageSid,
    SmsStatus: 'received',
    To: 'whatsapp:+14155238886',
    WaId: '14155550100',
    ...extra,
  };
}

export function statusParams(messageSid: string, status: string, extra: Record<string, string> = {}) {
  return {
    AccountSid: `AC${'a'.repeat(32)}`,
    ApiVersion: '2010-04-01',
    ChannelPrefix: 'whatsapp',
    From: 'whatsapp:+14155238886',
    MessageSid: messageSid,
    MessageStatus: status,
    SmsSid: messageSid,
    SmsStatus: status,
    To: 'whatsapp:+14155550100',
    ...extra,
  };
}

export const inboundPath = (connectionId: string) => `/webhooks/twilio/whatsapp/${connectionId}`;
export const statusPath = (connectionId: string) => `/webhooks/twilio/whatsapp/${connectionId}/status`;

/**
 * A request as Twilio sends it: form body, X-Twilio-Signature over `signedUrl`
 * (default: the public URL + path) with the given token.
 */
export function twilioRequest(
  path: string,
  params: Record<string, string>,
  token: string,
  options: { signedUrl?: string; publicUrl?: URL } = {},
): InjectOptions {
  const url = options.signedUrl ?? `${(options.publicUrl ?? WEBHOOK_PUBLIC_URL).origin}${path}`;
  return {
    method: 'POST',
    url: path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params),
    },
    payload: new URLSearchParams(params).toString(),
  };
}

export interface WebhookServer {
  app: FastifyInstance;
  serviceRole: ServiceRole;
  close(): Promise<void>;
}

/** A server on `databaseUrl` with its own service-role pool (a second "process" on the same database). */
export async function startWebhookServer(
  db: Database,
  databaseUrl: string,
  overrides: Partial<ServerOptions> = {},
): Promise<WebhookServer> {
  const serviceRole = ServiceRole.openPool(databaseUrl);
  const app = await buildServer({
    db,
    sql: db.$client,
    serviceRole,
    publicUrl: WEBHOOK_PUBLIC_URL,
    sessionSecret: 'test-session-secret-0123456789abcdef',
    logLevel: 'silent',
    vault: new CredentialVault(WEBHOOK_TEST_KEYS),
    twilio: createTwilioAdapter({ apiBaseUrl: 'http://127.0.0.1:9', timeoutMs: 1_000 }),
    worker: { enabled: false },
    ...overrides,
  });
  await app.ready();
  return {
    app,
    serviceRole,
    async close() {
      await app.close();
      await serviceRole.close();
    },
  };
}

/**
 * A webhook server on a fresh database for the calling test file; the worker is off
 * unless `worker` is given, so tests drive it with `drainWorker`.
 */
export function useWebhookServer(overrides: () => Partial<ServerOptions> = () => ({})) {
  const database = useTestDatabase();
  let server: WebhookServer | undefined;
  const vault = new CredentialVault(WEBHOOK_TEST_KEYS);
  beforeAll(async () => {
    server = await startWebhookServer(database.db, database.url, overrides());
  });
  afterAll(async () => {
    await server?.close();
  });
  return {
    get app() {
      if (!server) throw new Error('useWebhookServer: read .app inside a test or hook');
      return server.app;
    },
    get db() {
      return database.db;
    },
    /** The owner's pool (bypasses RLS): what tests read and seed with. */
    get sql() {
      return database.db.$client;
    },
    get databaseUrl() {
      return database.url;
    },
    vault,
  };
}

/** Runs the worker until no due event is left. */
export async function drainWorker(app: FastifyInstance) {
  while ((await app.webhookWorker.runOnce()) > 0) {}
}

export async function countEvents(sql: postgres.Sql, connectionId: string) {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from twilio_whatsapp_webhook_events where connection_id = ${connectionId}`;
  return row!.n;
}

export async function countMessages(sql: postgres.Sql, connectionId: string) {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from twilio_whatsapp_messages where connection_id = ${connectionId}`;
  return row!.n;
}
