import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { describe } from 'vitest';
import {
  twilioWhatsappConnections as connections,
  twilioWhatsappWebhookEvents as events,
} from '../src/schema.ts';
import {
  type Case,
  denied,
  insertsOneRow,
  none,
  type Operation,
  rows,
  useRoleMatrix,
} from './support/matrix.ts';
import { accountSidFor, e164 } from './support/world.ts';

// Seed plan success criteria: "RLS policies restrict access to organization members",
// "Only admins/owners can insert/update/delete connections"; FIX 4 (events: admins
// read, only the service role writes); FIX 6 (anon gets nothing).

const newConnection = (organizationId: string) => ({
  organizationId,
  twilioAccountSid: accountSidFor(),
  twilioAuthTokenHash: 'v1.k1.iv.tag.ciphertext',
  whatsappNumber: e164(),
});

const selectConnections: Operation = (tx) => tx.select({ id: connections.id }).from(connections);
// FIX 7 (20260205): every column but the token's ciphertext is readable by members.
const selectConnectionsWithoutToken: Operation = (tx) =>
  tx
    .select({
      id: connections.id,
      organizationId: connections.organizationId,
      twilioAccountSid: connections.twilioAccountSid,
      whatsappNumber: connections.whatsappNumber,
      whatsappNumberSid: connections.whatsappNumberSid,
      friendlyName: connections.friendlyName,
      isActive: connections.isActive,
      webhookConfigured: connections.webhookConfigured,
      lastVerifiedAt: connections.lastVerifiedAt,
      createdAt: connections.createdAt,
      updatedAt: connections.updatedAt,
      // 20261130_token_rotation: when the grace ends, which token Twilio signed with.
      previousTokenExpiresAt: connections.previousTokenExpiresAt,
      lastSignedWithCurrentAt: connections.lastSignedWithCurrentAt,
      lastSignedWithPreviousAt: connections.lastSignedWithPreviousAt,
      // 20261130: when and by whom a connection was disconnected (the card shows it).
      disconnectedAt: connections.disconnectedAt,
      disconnectedBy: connections.disconnectedBy,
    })
    .from(connections);
// 20261130: Twilio's earlier webhook settings can carry another system's credentials in a URL.
const selectWebhooksBefore: Operation = (tx) =>
  tx.select({ id: connections.id, before: connections.twilioWebhooksBefore }).from(connections);
const disconnectConnectionOfA: Operation = (tx, w) =>
  tx
    .update(connections)
    .set({ twilioAuthTokenHash: null, disconnectedAt: new Date(), isActive: false })
    .where(eq(connections.id, w.connA))
    .returning({ id: connections.id });
const selectTokenCiphertext: Operation = (tx) =>
  tx.select({ id: connections.id, token: connections.twilioAuthTokenHash }).from(connections);
const selectPreviousTokenCiphertext: Operation = (tx) =>
  tx.select({ id: connections.id, token: connections.twilioPreviousAuthToken }).from(connections);
const replaceTokenOfA: Operation = (tx, w) =>
  tx
    .update(connections)
    .set({ twilioAuthTokenHash: 'v1.k1.iv.tag.other' })
    .where(eq(connections.id, w.connA))
    .returning({ id: connections.id });
const insertConnectionIntoA: Operation = (tx, w) =>
  tx.insert(connections).values(newConnection(w.orgA)).returning({ id: connections.id });
const insertConnectionIntoB: Operation = (tx, w) =>
  tx.insert(connections).values(newConnection(w.orgB)).returning({ id: connections.id });
const renameConnectionOfA: Operation = (tx, w) =>
  tx
    .update(connections)
    .set({ friendlyName: 'renamed' })
    .where(eq(connections.id, w.connA))
    .returning({ id: connections.id });
const moveConnectionOfAToB: Operation = (tx, w) =>
  tx
    .update(connections)
    .set({ organizationId: w.orgB })
    .where(eq(connections.id, w.connA))
    .returning({ id: connections.id });
const deleteConnectionOfA: Operation = (tx, w) =>
  tx.delete(connections).where(eq(connections.id, w.connA)).returning({ id: connections.id });

const selectEvents: Operation = (tx) => tx.select({ id: events.id }).from(events);
const insertEventForA: Operation = (tx, w) =>
  tx
    .insert(events)
    .values({
      connectionId: w.connA,
      messageSid: 'SM00000000000000000000000000000001',
      eventType: 'message',
      idempotencyKey: `message:${randomUUID()}`,
      payload: { Body: 'forged' },
    })
    .returning({ id: events.id });
const markEventOfAProcessed: Operation = (tx, w) =>
  tx
    .update(events)
    .set({ status: 'processed', processedAt: new Date() })
    .where(eq(events.id, w.eventA))
    .returning({ id: events.id });
const deleteEventOfA: Operation = (tx, w) =>
  tx.delete(events).where(eq(events.id, w.eventA)).returning({ id: events.id });

// biome-ignore format: the role matrix reads best as one row per case
const connectionCases: Case[] = [
  // select
  { behaviour: 'the owner of A sees only A’s connections', actor: 'owner of A', operation: selectConnections, expected: rows('connA') },
  { behaviour: 'an admin of A sees only A’s connections', actor: 'admin of A', operation: selectConnections, expected: rows('connA') },
  { behaviour: 'a member of A sees only A’s connections', actor: 'member of A', operation: selectConnections, expected: rows('connA') },
  { behaviour: 'a user of B sees nothing of A', actor: 'user of B', operation: selectConnections, expected: rows('connB') },
  { behaviour: 'anon cannot read connections', actor: 'anon', operation: selectConnections, expected: denied },
  { behaviour: 'the service role sees every connection', actor: 'service role', operation: selectConnections, expected: rows('connA', 'connB') },
  { behaviour: 'a member of A reads every column but the token', actor: 'member of A', operation: selectConnectionsWithoutToken, expected: rows('connA') },
  { behaviour: 'the owner of A cannot read the token ciphertext', actor: 'owner of A', operation: selectTokenCiphertext, expected: denied },
  { behaviour: 'an admin of A cannot read the token ciphertext', actor: 'admin of A', operation: selectTokenCiphertext, expected: denied },
  { behaviour: 'a member of A cannot read the token ciphertext', actor: 'member of A', operation: selectTokenCiphertext, expected: denied },
  { behaviour: 'the service role reads the token ciphertext', actor: 'service role', operation: selectTokenCiphertext, expected: rows('connA', 'connB') },
  { behaviour: 'the owner of A cannot read the previous token’s ciphertext', actor: 'owner of A', operation: selectPreviousTokenCiphertext, expected: denied },
  { behaviour: 'an admin of A cannot read the previous token’s ciphertext', actor: 'admin of A', operation: selectPreviousTokenCiphertext, expected: denied },
  { behaviour: 'a member of A cannot read the previous token’s ciphertext', actor: 'member of A', operation: selectPreviousTokenCiphertext, expected: denied },
  { behaviour: 'the service role reads the previous token’s ciphertext', actor: 'service role', operation: selectPreviousTokenCiphertext, expected: rows('connA', 'connB') },
  { behaviour: 'the owner of A cannot read Twilio’s earlier webhook settings', actor: 'owner of A', operation: selectWebhooksBefore, expected: denied },
  { behaviour: 'a member of A cannot read Twilio’s earlier webhook settings', actor: 'member of A', operation: selectWebhooksBefore, expected: denied },
  { behaviour: 'the service role reads Twilio’s earlier webhook settings', actor: 'service role', operation: selectWebhooksBefore, expected: rows('connA', 'connB') },
  // insert
  { behaviour: 'the owner of A can add a connection to A', actor: 'owner of A', operation: insertConnectionIntoA, expected: insertsOneRow },
  { behaviour: 'an admin of A can add a connection to A', actor: 'admin of A', operation: insertConnectionIntoA, expected: insertsOneRow },
  { behaviour: 'a member cannot add a connection', actor: 'member of A', operation: insertConnectionIntoA, expected: denied },
  { behaviour: 'an admin of A cannot add a connection to B', actor: 'admin of A', operation: insertConnectionIntoB, expected: denied },
  { behaviour: 'a user of B cannot add a connection to A', actor: 'user of B', operation: insertConnectionIntoA, expected: denied },
  { behaviour: 'anon cannot add a connection', actor: 'anon', operation: insertConnectionIntoA, expected: denied },
  // update
  { behaviour: 'the owner of A can update A’s connection', actor: 'owner of A', operation: renameConnectionOfA, expected: rows('connA') },
  { behaviour: 'an admin of A can update A’s connection', actor: 'admin of A', operation: renameConnectionOfA, expected: rows('connA') },
  { behaviour: 'a member cannot update a connection', actor: 'member of A', operation: renameConnectionOfA, expected: none },
  { behaviour: 'an admin of A can store a new token ciphertext (write, not read)', actor: 'admin of A', operation: replaceTokenOfA, expected: rows('connA') },
  { behaviour: 'a member cannot store a token ciphertext', actor: 'member of A', operation: replaceTokenOfA, expected: none },
  { behaviour: 'a user of B cannot update A’s connection', actor: 'user of B', operation: renameConnectionOfA, expected: none },
  { behaviour: 'an admin of A can disconnect A’s connection (erase its token)', actor: 'admin of A', operation: disconnectConnectionOfA, expected: rows('connA') },
  { behaviour: 'a member cannot disconnect a connection', actor: 'member of A', operation: disconnectConnectionOfA, expected: none },
  { behaviour: 'a user of B cannot disconnect A’s connection', actor: 'user of B', operation: disconnectConnectionOfA, expected: none },
  { behaviour: 'anon cannot update a connection', actor: 'anon', operation: renameConnectionOfA, expected: denied },
  { behaviour: 'an admin cannot move a connection into another organization', actor: 'admin of A', operation: moveConnectionOfAToB, expected: denied },
  { behaviour: 'an owner cannot move a connection into another organization', actor: 'owner of A', operation: moveConnectionOfAToB, expected: denied },
  // delete
  { behaviour: 'the owner of A can delete A’s connection', actor: 'owner of A', operation: deleteConnectionOfA, expected: rows('connA') },
  { behaviour: 'an admin of A can delete A’s connection', actor: 'admin of A', operation: deleteConnectionOfA, expected: rows('connA') },
  { behaviour: 'a member cannot delete a connection', actor: 'member of A', operation: deleteConnectionOfA, expected: none },
  { behaviour: 'a user of B cannot delete A’s connection', actor: 'user of B', operation: deleteConnectionOfA, expected: none },
  { behaviour: 'anon cannot delete a connection', actor: 'anon', operation: deleteConnectionOfA, expected: denied },
];

// biome-ignore format: the role matrix reads best as one row per case
const eventCases: Case[] = [
  // select
  { behaviour: 'the owner of A reads A’s webhook events', actor: 'owner of A', operation: selectEvents, expected: rows('eventA') },
  { behaviour: 'an admin of A reads A’s webhook events', actor: 'admin of A', operation: selectEvents, expected: rows('eventA') },
  { behaviour: 'a member cannot read webhook events', actor: 'member of A', operation: selectEvents, expected: none },
  { behaviour: 'a user of B sees no webhook event of A', actor: 'user of B', operation: selectEvents, expected: rows('eventB') },
  { behaviour: 'anon cannot read webhook events', actor: 'anon', operation: selectEvents, expected: denied },
  { behaviour: 'the service role reads every webhook event', actor: 'service role', operation: selectEvents, expected: rows('eventA', 'eventB') },
  // insert
  { behaviour: 'the owner cannot write a webhook event', actor: 'owner of A', operation: insertEventForA, expected: denied },
  { behaviour: 'an admin cannot write a webhook event', actor: 'admin of A', operation: insertEventForA, expected: denied },
  { behaviour: 'a member cannot write a webhook event', actor: 'member of A', operation: insertEventForA, expected: denied },
  { behaviour: 'a user of B cannot write a webhook event', actor: 'user of B', operation: insertEventForA, expected: denied },
  { behaviour: 'anon cannot write a webhook event', actor: 'anon', operation: insertEventForA, expected: denied },
  { behaviour: 'the service role writes webhook events', actor: 'service role', operation: insertEventForA, expected: insertsOneRow },
  // update
  { behaviour: 'the owner cannot update a webhook event', actor: 'owner of A', operation: markEventOfAProcessed, expected: denied },
  { behaviour: 'an admin cannot update a webhook event', actor: 'admin of A', operation: markEventOfAProcessed, expected: denied },
  { behaviour: 'a member cannot update a webhook event', actor: 'member of A', operation: markEventOfAProcessed, expected: denied },
  { behaviour: 'a user of B cannot update a webhook event', actor: 'user of B', operation: markEventOfAProcessed, expected: denied },
  { behaviour: 'anon cannot update a webhook event', actor: 'anon', operation: markEventOfAProcessed, expected: denied },
  { behaviour: 'the service role updates webhook events', actor: 'service role', operation: markEventOfAProcessed, expected: rows('eventA') },
  // delete
  { behaviour: 'the owner cannot delete a webhook event', actor: 'owner of A', operation: deleteEventOfA, expected: denied },
  { behaviour: 'an admin cannot delete a webhook event', actor: 'admin of A', operation: deleteEventOfA, expected: denied },
  { behaviour: 'a member cannot delete a webhook event', actor: 'member of A', operation: deleteEventOfA, expected: denied },
  { behaviour: 'a user of B cannot delete a webhook event', actor: 'user of B', operation: deleteEventOfA, expected: denied },
  { behaviour: 'anon cannot delete a webhook event', actor: 'anon', operation: deleteEventOfA, expected: denied },
  { behaviour: 'the service role deletes webhook events', actor: 'service role', operation: deleteEventOfA, expected: rows('eventA') },
];

describe('row-level security on twilio_whatsapp_connections and twilio_whatsapp_webhook_events', () => {
  const matrix = useRoleMatrix();
  describe('connections', () => matrix.checkEach(connectionCases));
  describe('webhook events', () => matrix.checkEach(eventCases));
});
