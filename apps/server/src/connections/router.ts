import {
  type ConnectionWriteResult,
  connectionIdInput,
  connectionWriteResult,
  connectProgress,
  connectProgressInput,
  createConnectionInput,
  deleteHistoryInput,
  disconnectResult,
  setActiveInput,
  updateConnectionInput,
  whatsappConnection,
} from '@app/contracts';
import { retryOnDeadlock } from '@app/db';
import { TRPCError, type TRPCRouterRecord } from '@trpc/server';
import { z } from 'zod';
import type { AppServices } from '../services.ts';
import { adminProcedure, protectedProcedure } from '../trpc/trpc.ts';
import { connectWhatsapp } from './connect.ts';
import { connectProgressRecorder, pruneConnectProgress, readConnectProgress } from './connect-progress.ts';
import {
  HistoryConfirmationMismatchError,
  restoreTwilioWebhooks,
  StillConnectedError,
} from './disconnect.ts';
import { presentConnection } from './present.ts';
import {
  type ConnectionRow,
  deleteConnection,
  disconnectorNames,
  findConnectedConnection,
  findConnection,
  listConnections,
  updateConnection,
} from './store.ts';
import { signingTokenOf, tokenRotationPatch } from './token-rotation.ts';
import {
  configureTwilioWebhooks,
  storedCredentials,
  storedTokenPair,
  verifyConnectionTarget,
  webhookSetupPatch,
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
    const names = await disconnectorNames(ctx.services.db, rows);
    return rows.map((row) => presentConnection(row, ctx.services.publicUrl, names));
  }),

  get: protectedProcedure
    .input(connectionIdInput)
    .output(whatsappConnection)
    .query(async ({ ctx, input }) => {
      const row = await ctx.asUser((tx) => findConnection(tx, input.id));
      return presentConnection(row, ctx.services.publicUrl, await disconnectorNames(ctx.services.db, [row]));
    }),

  /** The connect flow (connect.ts); its steps are recorded under the attempt id, when given. */
  create: adminProcedure
    .input(createConnectionInput)
    .output(connectionWriteResult)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      if (input.attemptId !== undefined) await ctx.asUser((tx) => pruneConnectProgress(tx));
      const progress = connectProgressRecorder({
        attemptId: input.attemptId,
        userId: user.userId,
        organizationId: user.organizationId,
        asUser: ctx.asUser,
        log: ctx.req.log,
      });
      return connectWhatsapp({ services, user, asUser: ctx.asUser, log: ctx.req.log }, input, progress);
    }),

  /**
   * The steps a `create` with this attempt id has recorded so far (polled while it
   * runs). Row-level security shows only the caller's own attempts.
   */
  connectProgress: adminProcedure
    .input(connectProgressInput)
    .output(connectProgress)
    .query(({ ctx, input }) => ctx.asUser((tx) => readConnectProgress(tx, input.attemptId))),

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

      // A disconnected one's token is erased: new credentials come through connecting the number again.
      const current = await ctx.asUser((tx) => findConnectedConnection(tx, input.id));
      const credentials = {
        accountSid: input.accountSid ?? current.twilioAccountSid,
        authToken: input.authToken,
      };
      const found = await verifyConnectionTarget(services, credentials, current);
      const accountChanged = credentials.accountSid !== current.twilioAccountSid;
      // A Messaging Service's webhooks serve its whole pool: a sender change there moves nothing.
      const senderMoved =
        accountChanged ||
        (current.messagingServiceSid === null && found.whatsappNumberSid !== current.whatsappNumberSid);
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
          whatsappNumberSid: found.whatsappNumberSid,
          messagingServiceSenders: found.messagingServiceSenders,
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
        row = await ctx.asUser((tx) => updateConnection(tx, row.id, webhookSetupPatch(webhooks)));
      return writeResult(services, row, webhooks.error);
    }),

  /** Re-checks the stored credentials and the number with Twilio; on success records when. */
  verify: adminProcedure
    .input(connectionIdInput)
    .output(whatsappConnection)
    .mutation(async ({ ctx, input }) => {
      const { services } = ctx;
      const current = await ctx.asUser((tx) => findConnection(tx, input.id));
      const found = await verifyConnectionTarget(
        services,
        await storedCredentials(services, current),
        current,
      );
      const senderMoved =
        current.messagingServiceSid === null && found.whatsappNumberSid !== current.whatsappNumberSid;
      const row = await ctx.asUser((tx) =>
        updateConnection(tx, input.id, {
          lastVerifiedAt: new Date(),
          messagingServiceSenders: found.messagingServiceSenders,
          ...(senderMoved ? { whatsappNumberSid: found.whatsappNumberSid, webhookConfigured: false } : {}),
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
        webhooks.error === null && (webhooks.configured !== current.webhookConfigured || webhooks.before)
          ? await ctx.asUser((tx) => updateConnection(tx, input.id, webhookSetupPatch(webhooks)))
          : current;
      return writeResult(services, row, webhooks.error);
    }),

  setActive: adminProcedure
    .input(setActiveInput)
    .output(whatsappConnection)
    .mutation(async ({ ctx, input }) => {
      // Pausing stops sending only; the intake keeps accepting the number's webhooks.
      const row = await ctx.asUser(async (tx) => {
        await findConnectedConnection(tx, input.id);
        return updateConnection(tx, input.id, { isActive: input.isActive });
      });
      // Committed: whatever Twilio could not deliver meanwhile is read back from it.
      if (input.isActive) ctx.services.reconciliation.schedule(row.id, 'reactivated');
      return presentConnection(row, ctx.services.publicUrl);
    }),

  /**
   * Disconnects (the contract's name is kept): Twilio's earlier webhook settings are put
   * back with the still-known token, then the token is erased. The row stays, marked
   * disconnected by whom and when, with its conversation and events readable as before.
   */
  delete: adminProcedure
    .input(connectionIdInput)
    .output(disconnectResult)
    .mutation(async ({ ctx, input }) => {
      const { services, user } = ctx;
      const current = await ctx.asUser((tx) => findConnection(tx, input.id));
      if (current.disconnectedAt) {
        return {
          id: current.id,
          webhooksRestored: false,
          webhookNote: `${current.whatsappNumber} was disconnected already.`,
        };
      }
      const restore = await restoreTwilioWebhooks(services, current);
      // The sandbox has no API: its manual step is expected, not a failure.
      if (!restore.restored && current.whatsappNumberSid !== null)
        ctx.req.log.warn({ connectionId: current.id }, 'disconnect: Twilio webhooks not restored');
      await ctx.asUser((tx) =>
        updateConnection(tx, input.id, {
          twilioAuthTokenHash: null,
          // The token a rotation replaced goes too: nothing of the account's is kept.
          twilioPreviousAuthToken: null,
          previousTokenExpiresAt: null,
          twilioWebhooksBefore: null,
          disconnectedAt: new Date(),
          disconnectedBy: user.userId,
          isActive: false,
          webhookConfigured: false,
        }),
      );
      return { id: current.id, webhooksRestored: restore.restored, webhookNote: restore.note };
    }),

  /**
   * Owner only, for a disconnected connection: deletes its messages and webhook events
   * (ON DELETE CASCADE) with the row. The number typed again confirms which history.
   */
  deleteHistory: adminProcedure
    .input(deleteHistoryInput)
    .output(z.object({ id: z.uuid() }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.user.role !== 'owner') {
        throw new TRPCError({
          code: 'FORBIDDEN',
          message: "Only an owner of your organization can delete a number's history. Ask one of them.",
        });
      }
      await retryOnDeadlock(() =>
        ctx.asUser(async (tx) => {
          const current = await findConnection(tx, input.id);
          if (!current.disconnectedAt) throw new StillConnectedError(current.whatsappNumber);
          if (input.confirmation !== current.whatsappNumber)
            throw new HistoryConfirmationMismatchError(current.whatsappNumber);
          await deleteConnection(tx, input.id);
        }),
      );
      return { id: input.id };
    }),
} satisfies TRPCRouterRecord;
