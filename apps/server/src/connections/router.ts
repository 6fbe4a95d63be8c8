import { randomUUID } from 'node:crypto';
import {
  type ConnectionWriteResult,
  connectionIdInput,
  connectionWriteResult,
  createConnectionInput,
  setActiveInput,
  updateConnectionInput,
  whatsappConnection,
} from '@app/contracts';
import { retryOnDeadlock } from '@app/db';
import type { TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { AppServices } from '../services.ts';
import { adminProcedure, protectedProcedure } from '../trpc/trpc.ts';
import { presentConnection } from './present.ts';
import {
  alreadyConnected,
  type ConnectionRow,
  deleteConnection,
  findConnection,
  insertConnection,
  listConnections,
  organizationHoldingNumber,
  updateConnection,
} from './store.ts';
import { signingTokenOf, tokenRotationPatch } from './token-rotation.ts';
import {
  configureTwilioWebhooks,
  storedCredentials,
  storedTokenPair,
  verifyTwilioAccess,
} from './twilio-access.ts';

function writeResult(services: AppServices, row: ConnectionRow, webhookError: string | null) {
  return { ...presentConnection(row, services.publicUrl), webhookError } satisfies ConnectionWriteResult;
}

/**
 * `whatsapp.connections.*`. Reads are for every member; writes for owners and admins
 * (RLS is the backstop). Every Twilio call happens between transactions.
 */
export const connectionsRouter = {
  list: protectedProcedure.output(z.array(whatsappConnection)).query(async ({ ctx }) => {
    const rows = await ctx.asUser((tx) => listConnections(tx));
    return rows.map((row) => presentConnection(row, ctx.services.publicUrl));
  }),

  get: protectedProcedure
    .input(connectionIdInput)
    .output(whatsappConnection)
    .query(async ({ ctx, input }) => {
      const row = await ctx.asUser((tx) => findConnection(tx, input.id));
      return presentConnection(row, ctx.services.publicUrl);
    }),

  /**
   * The connect flow. Nothing is stored unless Twilio accepted the credentials and knows the
   * number; whether the number is connected already is told only after that (the insert's
   * unique constraint settles a race).
   */
  create: adminProcedure
    .input(createConnectionInput)
    .output(connectionWriteResult)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      const credentials = { accountSid: input.accountSid, authToken: input.authToken };
      const sender = await verifyTwilioAccess(services, credentials, input.whatsappNumber);

      // Only once Twilio accepted the credentials: for the sandbox number (shared by
      // every account) the answer says whether that account is connected here, which
      // nobody without its Auth Token may learn.
      const holder = await organizationHoldingNumber(services.db, input.whatsappNumber, input.accountSid);
      if (holder) throw alreadyConnected(input.whatsappNumber, holder === user.organizationId);

      // The id is made here so the ciphertext can be bound to its row before the insert.
      const id = randomUUID();
      const inserted = await ctx.asUser((tx) =>
        insertConnection(tx, {
          id,
          organizationId: user.organizationId,
          twilioAccountSid: input.accountSid,
          twilioAuthTokenHash: services.vault.encrypt(input.authToken, {
            rowId: id,
            accountSid: input.accountSid,
          }),
          whatsappNumber: input.whatsappNumber,
          whatsappNumberSid: sender.sid,
          friendlyName: input.friendlyName ?? null,
          webhookConfigured: false,
          lastVerifiedAt: new Date(),
        }),
      );

      const webhooks = await configureTwilioWebhooks(services, credentials, inserted);
      const row = webhooks.configured
        ? await ctx.asUser((tx) => updateConnection(tx, id, { webhookConfigured: true }))
        : inserted;
      if (webhooks.error)
        ctx.req.log.warn({ connectionId: id }, 'connection stored; webhooks not configured');
      return writeResult(services, row, webhooks.error);
    }),

  /**
   * The name alone, or new credentials (a new Auth Token, or a new Account SID with
   * its token): those are checked with Twilio, and the number found in that
   * account, before anything is stored.
   */
  update: adminProcedure
    .input(updateConnectionInput)
    .output(connectionWriteResult)
    .mutation(async ({ ctx, input }) => {
      const { services } = ctx;
      const nameChange = input.friendlyName === undefined ? {} : { friendlyName: input.friendlyName };
      if (input.authToken === undefined) {
        const row = await ctx.asUser((tx) => updateConnection(tx, input.id, nameChange));
        return writeResult(services, row, null);
      }

      const current = await ctx.asUser((tx) => findConnection(tx, input.id));
      const credentials = {
        accountSid: input.accountSid ?? current.twilioAccountSid,
        authToken: input.authToken,
      };
      const sender = await verifyTwilioAccess(services, credentials, current.whatsappNumber);
      const accountChanged = credentials.accountSid !== current.twilioAccountSid;
      const senderMoved = accountChanged || sender.sid !== current.whatsappNumberSid;
      // The replaced token stays accepted on webhooks for a grace period: Twilio signs
      // with it until the new one is promoted in its console (token-rotation.ts).
      const binding = { rowId: current.id, accountSid: credentials.accountSid };
      const rotation = tokenRotationPatch(
        services.vault,
        { ...(await storedTokenPair(services, current)), signingWith: signingTokenOf(current) },
        credentials.authToken,
        binding,
        accountChanged,
      );

      let row = await ctx.asUser((tx) =>
        updateConnection(tx, input.id, {
          ...nameChange,
          ...rotation,
          twilioAccountSid: credentials.accountSid,
          twilioAuthTokenHash: services.vault.encrypt(credentials.authToken, binding),
          whatsappNumberSid: sender.sid,
          lastVerifiedAt: new Date(),
          ...(senderMoved ? { webhookConfigured: false } : {}),
        }),
      );
      // Committed: whatever the old credentials or account missed is read back from Twilio.
      services.reconciliation.schedule(row.id, 'credentials_changed');
      if (!senderMoved) return writeResult(services, row, null);

      // Another account or sender: its webhooks point elsewhere until we set them.
      const webhooks = await configureTwilioWebhooks(services, credentials, row);
      if (webhooks.configured)
        row = await ctx.asUser((tx) => updateConnection(tx, row.id, { webhookConfigured: true }));
      return writeResult(services, row, webhooks.error);
    }),

  /** Re-checks the stored credentials and the number with Twilio; on success records when. */
  verify: adminProcedure
    .input(connectionIdInput)
    .output(whatsappConnection)
    .mutation(async ({ ctx, input }) => {
      const { services } = ctx;
      const current = await ctx.asUser((tx) => findConnection(tx, input.id));
      const sender = await verifyTwilioAccess(
        services,
        await storedCredentials(services, current),
        current.whatsappNumber,
      );
      const senderMoved = sender.sid !== current.whatsappNumberSid;
      const row = await ctx.asUser((tx) =>
        updateConnection(tx, input.id, {
          lastVerifiedAt: new Date(),
          ...(senderMoved ? { whatsappNumberSid: sender.sid, webhookConfigured: false } : {}),
        }),
      );
      return presentConnection(row, services.publicUrl);
    }),

  /** Points Twilio's webhooks at this connection again (after a console edit, or a failed first try). */
  configureWebhooks: adminProcedure
    .input(connectionIdInput)
    .output(connectionWriteResult)
    .mutation(async ({ ctx, input }) => {
      const { services } = ctx;
      const current = await ctx.asUser((tx) => findConnection(tx, input.id));
      const webhooks = await configureTwilioWebhooks(
        services,
        await storedCredentials(services, current),
        current,
      );
      // A failed attempt says nothing about what Twilio holds now: the flag stays as it was.
      const row =
        webhooks.error === null && webhooks.configured !== current.webhookConfigured
          ? await ctx.asUser((tx) =>
              updateConnection(tx, input.id, { webhookConfigured: webhooks.configured }),
            )
          : current;
      return writeResult(services, row, webhooks.error);
    }),

  setActive: adminProcedure
    .input(setActiveInput)
    .output(whatsappConnection)
    .mutation(async ({ ctx, input }) => {
      const row = await ctx.asUser((tx) => updateConnection(tx, input.id, { isActive: input.isActive }));
      // Committed: what arrived while it was off is read back from Twilio.
      if (input.isActive) ctx.services.reconciliation.schedule(row.id, 'reactivated');
      return presentConnection(row, ctx.services.publicUrl);
    }),

  /** Removes the connection; its webhook events and messages go with it (ON DELETE CASCADE). */
  delete: adminProcedure
    .input(connectionIdInput)
    .output(z.object({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      await retryOnDeadlock(() => ctx.asUser((tx) => deleteConnection(tx, input.id)));
      return { id: input.id };
    }),
} satisfies TRPCRouterRecord;
