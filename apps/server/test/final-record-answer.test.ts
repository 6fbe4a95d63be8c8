import { describe, expect, it, vi } from 'vitest';
import { recordTwilioAnswer } from '../src/messages/send-message.ts';
import { newMessageSid, type SeededConnection, seedConnection, useWebhookServer } from './webhook-helpers.ts';

const server = useWebhookServer(() => ({ worker: { enabled: false } }));

async function storeQueued(c: SeededConnection, sid: string | null) {
  const [row] = await server.sql<{ id: string }[]>`
    insert into twilio_whatsapp_messages
      (organization_id, connection_id, message_sid, direction, from_number, to_number, body, status)
    values (${c.organizationId}, ${c.id}, ${sid}, 'outbound', 'whatsapp:+14155238886',
            'whatsapp:+14155550100', 'Hi', 'queued')
    returning id`;
  return row!.id;
}

const accepted = (sid: string) => ({ sid, status: 'queued', errorCode: null, errorMessage: null });

describe("storing Twilio's answer to a send", () => {
  it('sets the SID on a row without one', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const id = await storeQueued(c, null);
    const sid = newMessageSid();
    expect((await recordTwilioAnswer(server.db, id, accepted(sid))).messageSid).toBe(sid);
  });

  it('never overwrites another SID a status callback already gave the row, and says so in the log', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const adopted = newMessageSid();
    const id = await storeQueued(c, adopted);
    const log = { warn: vi.fn() };
    const answered = newMessageSid();

    const row = await recordTwilioAnswer(server.db, id, accepted(answered), log);

    expect(row.messageSid).toBe(adopted);
    const [stored] = await server.sql<{ message_sid: string }[]>`
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
