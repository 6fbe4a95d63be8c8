import { describe, expect, it } from 'vitest';
import { MAYBE_DELIVERED } from '../src/messages/send-message.ts';
import { uniqueNumber } from './connections-world.ts';
import { useMessagingWorld } from './messages-world.ts';

// A send through a Messaging Service is queued from the service's first sender; Twilio
// names the sender it picked only in its answer. With that answer lost, the status
// callbacks (From: the sender Twilio picked) still attach to the queued row.

describe('a Messaging Service send whose answer from Twilio got lost', () => {
  // Callbacks for an unknown SID wait briefly; a SID-less send is adopted once past the
  // adapter's 1.5 s timeout (messages-world.ts).
  const world = useMessagingWorld({
    worker: { enabled: true, unknownSidGraceMs: 300, adoptSendsOlderThanMs: 2_000 },
    reconciliation: { atStartup: false, unfinishedCheckEveryMs: 0 },
  });

  it("is adopted by the callbacks of the other sender Twilio picked: one row, with Twilio's SID and sender", async () => {
    const org = await world.organization('Pool with a lost answer');
    const account = world.sim.seedAccount();
    const numbers = [uniqueNumber(), uniqueNumber()] as const;
    const service = world.sim.addMessagingService(account.sid, { senders: [...numbers] });
    const connectionId = await world.connectService(org.owner.cookie, account, service.sid);
    const customer = 'whatsapp:+447700900789';
    // The customer wrote to the second sender: Twilio's sticky sender replies from it.
    await world.customerWritesThroughTwilio({ to: numbers[1], from: customer, body: 'hi' });

    world.sim.injectFault({ operationId: 'CreateMessage', delayMs: 3_000 });
    const sent = await world.send(org.member.cookie, {
      connectionId,
      to: customer,
      body: 'Picked elsewhere',
    });
    expect(sent.error?.message).toBe(MAYBE_DELIVERED);
    const [queued] = (await world.list(org.member.cookie, { connectionId, limit: 1 })).data!.items;
    expect(queued).toMatchObject({ body: 'Picked elsewhere', status: 'queued', messageSid: null });
    expect(queued?.from).toBe(`whatsapp:${numbers[0]}`);

    const adopted = await world.eventually(
      org.member.cookie,
      connectionId,
      queued!.id,
      (m) => m.status === 'read',
      15_000,
    );
    const atTwilio = world.sim.messages(account.sid).find((m) => m.body === 'Picked elsewhere');
    expect(atTwilio?.from).toBe(`whatsapp:${numbers[1]}`);
    expect(adopted).toMatchObject({ messageSid: atTwilio?.sid, from: `whatsapp:${numbers[1]}` });
    const outbound = (await world.list(org.member.cookie, { connectionId, limit: 100 })).data!.items.filter(
      (m) => m.direction === 'outbound',
    );
    expect(outbound.map((m) => m.id)).toEqual([queued!.id]);
  });
});
