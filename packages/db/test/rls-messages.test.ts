import { eq } from 'drizzle-orm';
import { describe } from 'vitest';
import { twilioWhatsappMessages as messages } from '../src/schema.ts';
import { type Case, denied, insertsOneRow, type Operation, rows, useRoleMatrix } from './support/matrix.ts';
import type { World } from './support/world.ts';

// twilio_whatsapp_messages (beyond the seed): members read their organization's
// conversation; anyone in the organization may queue an outbound message as
// themselves; everything after that (MessageSid, statuses) is the service role's.

type NewTwilioWhatsappMessage = typeof messages.$inferInsert;

/** The row whatsapp.messages.send inserts: queued, outbound, no MessageSid yet, sent by the caller. */
function queuedOutbound(w: World, actorId: string | null, overrides: Partial<NewTwilioWhatsappMessage> = {}) {
  return {
    organizationId: w.orgA,
    connectionId: w.connA,
    direction: 'outbound' as const,
    fromNumber: 'whatsapp:+15550000002',
    toNumber: 'whatsapp:+15550000001',
    body: 'hi there',
    status: 'queued' as const,
    sentBy: actorId,
    ...overrides,
  };
}

const insertMessage =
  (overrides: (w: World) => Partial<NewTwilioWhatsappMessage> = () => ({})): Operation =>
  (tx, w, actorId) =>
    tx
      .insert(messages)
      .values(queuedOutbound(w, actorId, overrides(w)))
      .returning({ id: messages.id });

const selectMessages: Operation = (tx) => tx.select({ id: messages.id }).from(messages);
const queueOwnOutboundOnA = insertMessage();
const queueAsSomeoneElse = insertMessage((w) => ({ sentBy: w.adminA }));
const queueWithoutSender = insertMessage(() => ({ sentBy: null }));
const insertInbound = insertMessage(() => ({ direction: 'inbound', status: 'received' }));
const insertAlreadySent = insertMessage(() => ({ status: 'sent' }));
const insertWithMessageSid = insertMessage(() => ({ messageSid: 'SM11111111111111111111111111111111' }));
const queueOnConnectionOfB = insertMessage((w) => ({ connectionId: w.connB }));
const queueIntoOrganizationB = insertMessage((w) => ({ organizationId: w.orgB, connectionId: w.connB }));
const markMessageOfARead: Operation = (tx, w) =>
  tx
    .update(messages)
    .set({ status: 'read' })
    .where(eq(messages.id, w.messageA))
    .returning({ id: messages.id });
const deleteMessageOfA: Operation = (tx, w) =>
  tx.delete(messages).where(eq(messages.id, w.messageA)).returning({ id: messages.id });

// biome-ignore format: the role matrix reads best as one row per case
const cases: Case[] = [
  // select
  { behaviour: 'the owner of A reads A’s messages', actor: 'owner of A', operation: selectMessages, expected: rows('messageA') },
  { behaviour: 'an admin of A reads A’s messages', actor: 'admin of A', operation: selectMessages, expected: rows('messageA') },
  { behaviour: 'a member of A reads A’s messages', actor: 'member of A', operation: selectMessages, expected: rows('messageA') },
  { behaviour: 'a user of B reads none of A’s messages', actor: 'user of B', operation: selectMessages, expected: rows('messageB') },
  { behaviour: 'anon cannot read messages', actor: 'anon', operation: selectMessages, expected: denied },
  { behaviour: 'the service role reads every message', actor: 'service role', operation: selectMessages, expected: rows('messageA', 'messageB') },
  // insert
  { behaviour: 'a member queues an outbound message as themselves on A’s connection', actor: 'member of A', operation: queueOwnOutboundOnA, expected: insertsOneRow },
  { behaviour: 'an admin queues an outbound message as themselves', actor: 'admin of A', operation: queueOwnOutboundOnA, expected: insertsOneRow },
  { behaviour: 'the owner queues an outbound message as themselves', actor: 'owner of A', operation: queueOwnOutboundOnA, expected: insertsOneRow },
  { behaviour: 'a member cannot queue a message in someone else’s name', actor: 'member of A', operation: queueAsSomeoneElse, expected: denied },
  { behaviour: 'a member cannot queue a message without a sender', actor: 'member of A', operation: queueWithoutSender, expected: denied },
  { behaviour: 'a member cannot insert an inbound message', actor: 'member of A', operation: insertInbound, expected: denied },
  { behaviour: 'a member cannot insert a message that is already sent', actor: 'member of A', operation: insertAlreadySent, expected: denied },
  { behaviour: 'a member cannot insert a message with a MessageSid', actor: 'member of A', operation: insertWithMessageSid, expected: denied },
  { behaviour: 'a member cannot queue on another organization’s connection', actor: 'member of A', operation: queueOnConnectionOfB, expected: denied },
  { behaviour: 'a member cannot queue into another organization', actor: 'member of A', operation: queueIntoOrganizationB, expected: denied },
  { behaviour: 'a user of B cannot queue on A’s connection', actor: 'user of B', operation: queueOwnOutboundOnA, expected: denied },
  { behaviour: 'anon cannot queue a message', actor: 'anon', operation: queueOwnOutboundOnA, expected: denied },
  // update
  { behaviour: 'the owner cannot update a message', actor: 'owner of A', operation: markMessageOfARead, expected: denied },
  { behaviour: 'an admin cannot update a message', actor: 'admin of A', operation: markMessageOfARead, expected: denied },
  { behaviour: 'a member cannot update a message', actor: 'member of A', operation: markMessageOfARead, expected: denied },
  { behaviour: 'a user of B cannot update a message', actor: 'user of B', operation: markMessageOfARead, expected: denied },
  { behaviour: 'anon cannot update a message', actor: 'anon', operation: markMessageOfARead, expected: denied },
  { behaviour: 'the service role updates messages', actor: 'service role', operation: markMessageOfARead, expected: rows('messageA') },
  // delete
  { behaviour: 'the owner cannot delete a message', actor: 'owner of A', operation: deleteMessageOfA, expected: denied },
  { behaviour: 'an admin cannot delete a message', actor: 'admin of A', operation: deleteMessageOfA, expected: denied },
  { behaviour: 'a member cannot delete a message', actor: 'member of A', operation: deleteMessageOfA, expected: denied },
  { behaviour: 'a user of B cannot delete a message', actor: 'user of B', operation: deleteMessageOfA, expected: denied },
  { behaviour: 'anon cannot delete a message', actor: 'anon', operation: deleteMessageOfA, expected: denied },
  { behaviour: 'the service role deletes messages', actor: 'service role', operation: deleteMessageOfA, expected: rows('messageA') },
];

describe('row-level security on twilio_whatsapp_messages', () => {
  useRoleMatrix().checkEach(cases);
});
