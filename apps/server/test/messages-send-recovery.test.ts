import { twilioWhatsappMessages, withServiceRole } from '@app/db';
import { and, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { MAYBE_DELIVERED, recordTwilioAnswer } from '../src/messages/send-message.ts';
import { type Account, SENDER, useMessagingWorld } from './messages-world.ts';
import { newMessageSid } from './webhook-helpers.ts';

// A message Twilio accepted but whose SID we never stored (Twilio answered after
// our timeout, or storing the SID failed): the person is never told it failed, and
// the status callbacks attach to the queued row instead of creating a second one.

const CUSTOMERS = ['whatsapp:+447700900456', 'whatsapp:+447700900457', 'whatsapp:+447700900458'] as const;
const [LATE, RETRIED, REPAIRED] = CUSTOMERS;

describe('sends whose answer from Twilio got lost', () => {
  // A short grace period: callbacks for an unknown SID give up waiting quickly; a
  // SID-less send is adopted once past the adapter's 1.5 s timeout (messages-world.ts).
  const world = useMessagingWorld({
    worker: { enabled: true, unknownSidGraceMs: 300, adoptSendsOlderThanMs: 2_000 },
  });
  let acme: Awaited<ReturnType<typeof world.organization>>;
  let account: Account;
  let connectionId: string;

  beforeAll(async () => {
    acme = await world.organization('Acme');
    account = world.twilioAccount(SENDER);
    connectionId = await world.connect(acme.owner.cookie, account, SENDER);
    for (const customer of CUSTOMERS) await world.customerWrote(connectionId, customer);
  });

  async function rowsOfConversation() {
    return withServiceRole(world.server.db, (tx) =>
      tx
        .select()
        .from(twilioWhatsappMessages)
        .where(
          and(
            eq(twilioWhatsappMessages.connectionId, connectionId),
            eq(twilioWhatsappMessages.direction, 'outbound'),
          ),
        ),
    );
  }

  /** Makes the next `times` updates that set a MessageSid fail, as a lost database would. */
  async function failSidUpdates(times: number) {
    await world.server.db.execute(
      sql.raw(`
      drop sequence if exists test_sid_update_attempts;
      create sequence test_sid_update_attempts;
      create or replace function test_fail_sid_update() returns trigger
        language plpgsql security definer set search_path = public as $$
      begin
        -- A sequence, not a table: its count survives the failed transaction's rollback.
        if new.message_sid is distinct from old.message_sid
           and nextval('test_sid_update_attempts') <= ${times} then
          raise exception 'simulated failure storing the MessageSid';
        end if;
        return new;
      end $$;
      drop trigger if exists test_fail_sid_update on twilio_whatsapp_messages;
      create trigger test_fail_sid_update before update on twilio_whatsapp_messages
        for each row execute function test_fail_sid_update();
    `),
    );
  }

  /** An outbound row as whatsapp.messages.send leaves it before Twilio answered, or once a callback adopted it. */
  async function storeQueued(sid: string | null) {
    const [row] = await world.server.db.$client<{ id: string }[]>`
      insert into twilio_whatsapp_messages
        (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status)
      values (${acme.organizationId}, ${connectionId}, ${sid}, 'outbound', 'whatsapp:+14155238886',
              'whatsapp:+14155550100', 'Hi', 'queued')
      returning id`;
    return row!.id;
  }

  const accepted = (sid: string) => ({ sid, status: 'queued', errorCode: null, errorMessage: null });

  async function stopFailing() {
    await world.server.db.execute(
      sql`drop trigger if exists test_fail_sid_update on twilio_whatsapp_messages`,
    );
  }

  it('Twilio answering after the timeout: the queued row is adopted by its status callbacks, no second row', async () => {
    world.sim.injectFault({ operationId: 'CreateMessage', delayMs: 3_000 });
    const sent = await world.send(acme.member.cookie, { connectionId, to: LATE, body: 'Late answer' });
    expect(sent.error?.message).toBe(MAYBE_DELIVERED);

    const [queued] = (await world.list(acme.member.cookie, { connectionId, limit: 1 })).data!.items;
    expect(queued).toMatchObject({ body: 'Late answer', status: 'queued', messageSid: null });

    const adopted = await world.eventually(
      acme.member.cookie,
      connectionId,
      queued!.id,
      (m) => m.status === 'read',
      15_000,
    );
    const atTwilio = world.sim.messages(account.sid).find((m) => m.body === 'Late answer');
    expect(adopted.messageSid).toBe(atTwilio?.sid);
    expect(adopted.body).toBe('Late answer');
    const rows = (await rowsOfConversation()).filter((r) => r.messageSid === atTwilio?.sid);
    expect(rows).toHaveLength(1);
  });

  it('storing the SID fails once: it is retried, and the person gets the sent message', async () => {
    await failSidUpdates(1);
    try {
      const sent = await world.send(acme.member.cookie, { connectionId, to: RETRIED, body: 'Retry me' });
      expect(sent.error).toBeUndefined();
      expect(sent.data?.messageSid).toMatch(/^SM[0-9a-f]{32}$/);
      const [row] = (await rowsOfConversation()).filter((r) => r.id === sent.data!.id);
      expect(row?.messageSid).toBe(sent.data?.messageSid);
    } finally {
      await stopFailing();
    }
  });

  it('storing the SID keeps failing: the person still gets success, and the callbacks repair the row', async () => {
    await failSidUpdates(3);
    let sent: Awaited<ReturnType<typeof world.send>>;
    try {
      sent = await world.send(acme.member.cookie, { connectionId, to: REPAIRED, body: 'Repair me' });
    } finally {
      await stopFailing();
    }
    expect(sent.error).toBeUndefined();
    const sid = sent.data!.messageSid;
    expect(sid).toMatch(/^SM[0-9a-f]{32}$/);
    const [stored] = (await rowsOfConversation()).filter((r) => r.id === sent.data!.id);
    expect(stored?.messageSid).toBeNull();

    const repaired = await world.eventually(
      acme.member.cookie,
      connectionId,
      sent.data!.id,
      (m) => m.messageSid === sid && m.status === 'read',
      15_000,
    );
    expect(repaired.body).toBe('Repair me');
    await vi.waitFor(async () =>
      expect((await rowsOfConversation()).filter((r) => r.messageSid === sid)).toHaveLength(1),
    );
  });

  it("storing Twilio's answer sets the SID on a row without one", async () => {
    const id = await storeQueued(null);
    const sid = newMessageSid();
    expect((await recordTwilioAnswer(world.server.db, id, accepted(sid))).messageSid).toBe(sid);
  });

  it("Twilio's answer never overwrites another SID a status callback already gave the row, and says so in the log", async () => {
    const adopted = newMessageSid();
    const id = await storeQueued(adopted);
    const log = { warn: vi.fn() };
    const answered = newMessageSid();

    const row = await recordTwilioAnswer(world.server.db, id, accepted(answered), log);

    expect(row.messageSid).toBe(adopted);
    const [stored] = await world.server.db.$client<{ message_sid: string }[]>`
      select message_sid from twilio_whatsapp_messages where id = ${id}`;
    expect(stored?.message_sid).toBe(adopted);
    expect(log.warn).toHaveBeenCalledOnce();
    expect(log.warn.mock.calls[0]?.[0]).toEqual({
      messageId: id,
      messageSid: answered,
      storedMessageSid: adopted,
    });
  });
});
