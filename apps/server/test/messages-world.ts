import { randomBytes } from 'node:crypto';
import type { WhatsappMessage } from '@app/contracts';
import {
  organizations,
  profiles,
  sessions,
  twilioWhatsappConnections,
  twilioWhatsappMessages,
  twilioWhatsappWebhookEvents,
  users,
  withServiceRole,
} from '@app/db';
import { freePort } from '@app/db/testing';
import { createTwilioAdapter, type TwilioAdapterOptions } from '@app/twilio';
import { type RunningTwilioSimulator, startTwilioSimulator } from '@app/twilio/simulator';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, expect } from 'vitest';
import { hashSessionToken, SESSION_COOKIE } from '../src/auth/session.ts';
import type { ReconciliationOptions } from '../src/reconciliation/index.ts';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import type { WebhookWorkerOptions } from '../src/webhooks/index.ts';
import { useTestServer } from './helpers.ts';

// A whole loop on one machine: a listening server (Twilio must reach it over
// HTTP), the Twilio simulator it sends through, organizations with signed-in
// people, and connections made through the real connect flow.

export const SENDER = '+14155550100';
export const SANDBOX = '+14155238886';

export interface TrpcResult<T> {
  ok: boolean;
  status: number;
  data?: T;
  error?: { message: string; data: { code: string; fieldErrors?: Record<string, string[]> } };
}

export interface Person {
  userId: string;
  cookie: string;
}

export interface Account {
  sid: string;
  authToken: string;
}

export interface MessagingWorldOptions {
  worker?: WebhookWorkerOptions;
  /** The simulator's webhook retries; default Twilio's own ('twilio'). */
  retryPolicy?: 'twilio' | 'all';
  /** Adapter options beyond the simulator's URL and a short timeout. */
  adapter?: Omit<TwilioAdapterOptions, 'apiBaseUrl'>;
  reconciliation?: ReconciliationOptions;
}

export function useMessagingWorld(options: MessagingWorldOptions = {}) {
  let sim: RunningTwilioSimulator | undefined;
  let port = 0;
  beforeAll(async () => {
    // Twilio's side of each message runs through its statuses quickly, unless a test pauses it.
    sim = await startTwilioSimulator({
      statusDelayMs: 5,
      retryPolicy: options.retryPolicy ?? 'twilio',
      retry: { attempts: 5, backoffMs: 50 },
    });
    port = await freePort();
  });
  const server = useTestServer(() => ({
    publicUrl: new URL(`http://127.0.0.1:${port}`),
    twilio: createTwilioAdapter({ apiBaseUrl: simulator().url, timeoutMs: 1_500, ...options.adapter }),
    vault: new CredentialVault(`test:${randomBytes(32).toString('base64')}`),
    ...(options.worker ? { worker: options.worker } : {}),
    ...(options.reconciliation ? { reconciliation: options.reconciliation } : {}),
  }));
  beforeAll(async () => {
    await server.app.listen({ host: '127.0.0.1', port });
  });
  afterAll(async () => {
    await sim?.close();
  });

  function simulator(): RunningTwilioSimulator {
    if (!sim) throw new Error('useMessagingWorld: read the simulator inside a test or hook');
    return sim;
  }

  async function trpc<T>(
    kind: 'query' | 'mutation',
    path: string,
    input: unknown,
    cookie?: string,
  ): Promise<TrpcResult<T>> {
    const headers = cookie ? { cookie } : {};
    const res =
      kind === 'query'
        ? await server.app.inject({
            method: 'GET',
            url: `/trpc/${path}?input=${encodeURIComponent(JSON.stringify(input))}`,
            headers,
          })
        : await server.app.inject({
            method: 'POST',
            url: `/trpc/${path}`,
            headers: { ...headers, 'content-type': 'application/json' },
            payload: JSON.stringify(input),
          });
    const json = res.json();
    return json.error
      ? { ok: false, status: res.statusCode, error: json.error }
      : { ok: true, status: res.statusCode, data: json.result.data as T };
  }

  /**
   * A person of `organizationId`, signed in. Users and sessions are written directly
   * (the session cookie signed as the server signs it): sign-in's scrypt would make
   * each person cost a second of CPU, and sign-in has its own tests.
   */
  async function person(organizationId: string, role: 'owner' | 'admin' | 'member'): Promise<Person> {
    const token = randomBytes(32).toString('base64url');
    const userId = await withServiceRole(server.db, async (tx) => {
      const [user] = await tx
        .insert(users)
        .values({ email: `${role}-${randomBytes(4).toString('hex')}@messages.test` })
        .returning({ id: users.id });
      await tx.insert(profiles).values({ id: user!.id, organizationId, role });
      await tx.insert(sessions).values({
        tokenHash: hashSessionToken(token),
        userId: user!.id,
        expiresAt: new Date(Date.now() + 60 * 60_000),
      });
      return user!.id;
    });
    return { userId, cookie: `${SESSION_COOKIE}=${server.app.signCookie(token)}` };
  }

  /** An organization with an owner, an admin and a member, each signed in. */
  async function organization(name: string) {
    const [org] = await withServiceRole(server.db, (tx) =>
      tx.insert(organizations).values({ name }).returning({ id: organizations.id }),
    );
    const organizationId = org!.id;
    return {
      organizationId,
      owner: await person(organizationId, 'owner'),
      admin: await person(organizationId, 'admin'),
      member: await person(organizationId, 'member'),
    };
  }

  /** A simulated Twilio account owning `number` as a WhatsApp sender (the sandbox needs none). */
  function twilioAccount(number: string): Account {
    const account = simulator().sim.seedAccount();
    if (number !== SANDBOX) simulator().sim.addWhatsappSender(account.sid, number);
    return account;
  }

  /** Connects `number` of `account` through whatsapp.connections.create, as an owner. */
  async function connect(ownerCookie: string, account: Account, number: string): Promise<string> {
    const created = await trpc<{ id: string }>(
      'mutation',
      'whatsapp.connections.create',
      { accountSid: account.sid, authToken: account.authToken, whatsappNumber: number },
      ownerCookie,
    );
    expect(created.error?.message).toBeUndefined();
    return created.data!.id;
  }

  /** Connects Messaging Service `serviceSid` of `account` through whatsapp.connections.create, as an owner. */
  async function connectService(ownerCookie: string, account: Account, serviceSid: string): Promise<string> {
    const created = await trpc<{ id: string }>(
      'mutation',
      'whatsapp.connections.create',
      {
        kind: 'messaging_service',
        accountSid: account.sid,
        authToken: account.authToken,
        messagingServiceSid: serviceSid,
        friendlyName: 'Pool',
      },
      ownerCookie,
    );
    expect(created.error?.message).toBeUndefined();
    return created.data!.id;
  }

  function send(cookie: string, input: Record<string, unknown>) {
    return trpc<WhatsappMessage>('mutation', 'whatsapp.messages.send', input, cookie);
  }

  /** A send Twilio accepts and then holds: no status moves (and no callback) until the test advances it. */
  async function sendHeld(cookie: string, input: Record<string, unknown>) {
    simulator().sim.configure({ autoAdvance: false });
    try {
      return await send(cookie, input);
    } finally {
      simulator().sim.configure({ autoAdvance: true });
    }
  }

  function list(cookie: string, input: Record<string, unknown>) {
    return trpc<{ items: WhatsappMessage[]; nextCursor: string | null }>(
      'query',
      'whatsapp.messages.list',
      input,
      cookie,
    );
  }

  /** The message as its conversation shows it. */
  async function shown(cookie: string, connectionId: string, id: string): Promise<WhatsappMessage> {
    const page = await list(cookie, { connectionId, limit: 100 });
    const message = page.data?.items.find((m) => m.id === id);
    if (!message) throw new Error(`message ${id} is not in the conversation`);
    return message;
  }

  /** Waits until the conversation shows the message in a state `accept` likes. */
  async function eventually(
    cookie: string,
    connectionId: string,
    id: string,
    accept: (m: WhatsappMessage) => boolean,
    timeoutMs = 10_000,
  ): Promise<WhatsappMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const message = await shown(cookie, connectionId, id);
      if (accept(message)) return message;
      if (Date.now() > deadline) {
        throw new Error(
          `message ${id} never reached the expected state; last seen ${JSON.stringify(message)}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /**
   * The customer wrote to the connection: an inbound message in our history
   * (stored at `storedAt`, default now) and the window open at Twilio from
   * `atTwilio` (default the same time; null: Twilio never saw them write, so
   * its window is closed). Free text is only sent inside the window our history shows.
   */
  async function customerWrote(
    connectionId: string,
    customer: string,
    options: { storedAt?: Date; atTwilio?: Date | null; body?: string; profileName?: string } = {},
  ): Promise<void> {
    const storedAt = options.storedAt ?? new Date();
    const address = customer.startsWith('whatsapp:') ? customer : `whatsapp:${customer}`;
    await withServiceRole(server.db, async (tx) => {
      const [connection] = await tx
        .select()
        .from(twilioWhatsappConnections)
        .where(eq(twilioWhatsappConnections.id, connectionId));
      if (!connection) throw new Error(`no connection ${connectionId}`);
      await tx.insert(twilioWhatsappMessages).values({
        organizationId: connection.organizationId,
        connectionId,
        messageSid: `SM${randomBytes(16).toString('hex')}`,
        direction: 'inbound',
        fromNumber: address,
        toNumber: `whatsapp:${connection.whatsappNumber}`,
        body: options.body ?? 'Hello',
        profileName: options.profileName ?? null,
        status: 'received',
        createdAt: storedAt,
        statusUpdatedAt: storedAt,
      });
      const atTwilio = options.atTwilio === undefined ? storedAt : options.atTwilio;
      if (atTwilio !== null)
        simulator().sim.openConversation(
          connection.twilioAccountSid,
          connection.whatsappNumber,
          address,
          atTwilio,
        );
    });
  }

  /**
   * The customer writes through Twilio (a signed inbound webhook); resolves once the
   * worker has stored it, so the window our history shows is open for a reply.
   */
  async function customerWritesThroughTwilio(
    input: Parameters<RunningTwilioSimulator['sim']['deliverInbound']>[0],
  ) {
    const delivered = await simulator().sim.deliverInbound(input);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await withServiceRole(server.db, (tx) =>
        tx
          .select({ id: twilioWhatsappMessages.id })
          .from(twilioWhatsappMessages)
          .where(eq(twilioWhatsappMessages.messageSid, delivered.messageSid)),
      );
      if (row) return delivered;
      if (Date.now() > deadline) throw new Error(`inbound ${delivered.messageSid} was never stored`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Waits until the worker has processed `count` status callbacks of a message. */
  async function statusCallbacksProcessed(connectionId: string, messageSid: string, count: number) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const [row] = await withServiceRole(server.db, (tx) =>
        tx
          .select({ processed: sql<number>`count(*)::int` })
          .from(twilioWhatsappWebhookEvents)
          .where(
            and(
              eq(twilioWhatsappWebhookEvents.connectionId, connectionId),
              eq(twilioWhatsappWebhookEvents.messageSid, messageSid),
              eq(twilioWhatsappWebhookEvents.eventType, 'status'),
              eq(twilioWhatsappWebhookEvents.status, 'processed'),
            ),
          ),
      );
      if ((row?.processed ?? 0) >= count) return;
      if (Date.now() > deadline)
        throw new Error(`the worker processed ${row?.processed} of ${count} callbacks`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  return {
    server,
    get sim() {
      return simulator().sim;
    },
    trpc,
    organization,
    twilioAccount,
    connect,
    connectService,
    send,
    sendHeld,
    list,
    shown,
    eventually,
    statusCallbacksProcessed,
    customerWrote,
    customerWritesThroughTwilio,
  };
}
