import { freePort } from '@app/db/testing';
import { useTestDatabase } from '@app/db/vitest';
import { Simulator } from '@app/twilio/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  drainWorker,
  inboundPath,
  type SeededConnection,
  seedConnection,
  startWebhookServer,
  statusPath,
  WEBHOOK_TEST_KEYS,
  type WebhookServer,
} from './webhook-helpers.ts';

// Twilio's side played by the simulator: signed deliveries over real HTTP to our
// routes, with duplicate copies and status callbacks out of order.
const database = useTestDatabase();
let server: WebhookServer;
let origin = '';
const customer = 'whatsapp:+14155550100';

beforeAll(async () => {
  const port = await freePort();
  origin = `http://127.0.0.1:${port}`;
  server = await startWebhookServer(database.db, database.url, { publicUrl: new URL(origin) });
  await server.app.listen({ port, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close();
});

async function connectedAccount(sim: Simulator): Promise<SeededConnection> {
  const c = await seedConnection(database.db.$client, new CredentialVault(WEBHOOK_TEST_KEYS));
  sim.seedAccount({ sid: c.accountSid, authToken: c.authToken });
  const number = sim.addIncomingNumber(c.accountSid, c.whatsappNumber);
  number.smsUrl = `${origin}${inboundPath(c.id)}`;
  number.statusCallback = `${origin}${statusPath(c.id)}`;
  return c;
}

describe('the simulator delivering to our routes', () => {
  it('an inbound message with media, location and button, sent three times, is stored once with all of it', async () => {
    const sim = new Simulator();
    const c = await connectedAccount(sim);
    const result = await sim.deliverInbound({
      to: c.whatsappNumber,
      from: customer,
      body: 'Here you go',
      media: [
        { url: 'https://api.twilio.com/m/ME1', contentType: 'image/png' },
        { url: 'https://api.twilio.com/m/ME2', contentType: 'video/mp4' },
      ],
      profileName: 'Grace',
      location: { latitude: 48.8584, longitude: 2.2945, address: 'Champ de Mars', label: 'Tower' },
      buttonPayload: 'confirm',
      buttonText: 'Confirm',
      duplicates: 2,
    });
    expect(result.deliveries.map((d) => d.outcome)).toEqual(['delivered', 'delivered', 'delivered']);
    await drainWorker(server.app);
    const sql = database.db.$client;
    const events = await sql`select 1 from twilio_whatsapp_webhook_events where connection_id = ${c.id}`;
    expect(events.length).toBe(1);
    const messages = await sql`select * from twilio_whatsapp_messages where connection_id = ${c.id}`;
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      message_sid: result.messageSid,
      direction: 'inbound',
      body: 'Here you go',
      profile_name: 'Grace',
      wa_id: '14155550100',
      media: [
        { url: 'https://api.twilio.com/m/ME1', contentType: 'image/png' },
        { url: 'https://api.twilio.com/m/ME2', contentType: 'video/mp4' },
      ],
      latitude: 48.8584,
      longitude: 2.2945,
      location_address: 'Champ de Mars',
      location_label: 'Tower',
      button_payload: 'confirm',
      button_text: 'Confirm',
    });
  });

  it('status callbacks shuffled and duplicated end at read, each status stored once', async () => {
    const sim = new Simulator({
      shuffleStatusCallbacks: true,
      duplicateStatusCallbacks: 1,
      statusDelayMs: 1,
    });
    const c = await connectedAccount(sim);
    sim.openConversation(c.accountSid, c.whatsappNumber, customer);
    const sent = sim.createOutboundMessage({
      accountSid: c.accountSid,
      from: `whatsapp:${c.whatsappNumber}`,
      to: customer,
      body: 'Your order shipped',
      mediaUrls: [],
      statusCallback: null,
      contentSid: null,
    });
    // What whatsapp.messages.send stores once Twilio answered with the SID.
    await database.db.$client`
      insert into twilio_whatsapp_messages (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status)
      values (${c.organizationId}, ${c.id}, ${sent.sid}, 'outbound', ${`whatsapp:${c.whatsappNumber}`}, ${customer}, 'Your order shipped', 'queued')`;
    await sim.waitForIdle();
    const deliveries = sim.deliveries({ messageSid: sent.sid, kind: 'status' });
    expect(deliveries).toHaveLength(8);
    expect(deliveries.every((d) => d.outcome === 'delivered')).toBe(true);
    await drainWorker(server.app);
    const events = await database.db.$client<{ message_status: string }[]>`
      select message_status from twilio_whatsapp_webhook_events where message_sid = ${sent.sid} order by 1`;
    expect(events.map((e) => e.message_status)).toEqual(['delivered', 'queued', 'read', 'sent']);
    const [message] = await database.db
      .$client`select status from twilio_whatsapp_messages where message_sid = ${sent.sid}`;
    expect(message?.status).toBe('read');
  });

  it('a failed send ends failed with its ErrorCode', async () => {
    const sim = new Simulator({ statusDelayMs: 1 });
    const c = await connectedAccount(sim);
    sim.openConversation(c.accountSid, c.whatsappNumber, customer);
    sim.setRecipientBehaviour(c.accountSid, customer, 'fail');
    const sent = sim.createOutboundMessage({
      accountSid: c.accountSid,
      from: `whatsapp:${c.whatsappNumber}`,
      to: customer,
      body: 'Hello?',
      mediaUrls: [],
      statusCallback: null,
      contentSid: null,
    });
    await database.db.$client`
      insert into twilio_whatsapp_messages (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status)
      values (${c.organizationId}, ${c.id}, ${sent.sid}, 'outbound', ${`whatsapp:${c.whatsappNumber}`}, ${customer}, 'Hello?', 'queued')`;
    await sim.waitForIdle();
    await drainWorker(server.app);
    const [message] = await database.db.$client`
      select status, error_code from twilio_whatsapp_messages where message_sid = ${sent.sid}`;
    expect(message).toMatchObject({ status: 'failed', error_code: 30008 });
  });
});
