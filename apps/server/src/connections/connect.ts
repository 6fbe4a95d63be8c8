import { randomUUID } from 'node:crypto';
import type { ConnectionWriteResult, CreateConnectionValues } from '@app/contracts';
import type { Database, Tx } from '@app/db';
import type { ActingUser } from '../auth/acting-user.ts';
import type { AppServices } from '../services.ts';
import type { ConnectProgressRecorder } from './connect-progress.ts';
import { presentConnection } from './present.ts';
import {
  alreadyConnected,
  type ConnectionRow,
  connectionHoldingNumber,
  connectionHoldingService,
  heldByAnotherHistory,
  insertConnection,
  type NumberHolder,
  updateConnection,
} from './store.ts';
import {
  configureTwilioWebhooks,
  findTwilioMessagingService,
  findTwilioSender,
  verifyTwilioCredentials,
  webhookSetupPatch,
} from './twilio-access.ts';

/** What the connection will send from and receive for, as Twilio described it. */
interface ConnectTarget {
  /** The number, or the service's first WhatsApp sender (the conversation's own number). */
  whatsappNumber: string;
  whatsappNumberSid: string | null;
  /** Set for a Messaging Service: its SID and its WhatsApp senders (E.164). */
  messagingService: { sid: string; senders: string[] } | null;
  /** How the person named it: in "already connected" sentences. */
  label: string;
}

export interface ConnectContext {
  services: AppServices;
  user: ActingUser;
  asUser: <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
  log: { warn(object: Record<string, unknown>, message: string): void };
}

/**
 * The connect flow (`whatsapp.connections.create`), step by step as `progress` records
 * them. Nothing is stored unless Twilio accepted the credentials and knows the number
 * or service; whether it is connected already is told only after that (the insert's
 * unique constraints settle a race). Every Twilio call runs between transactions.
 */
export async function connectWhatsapp(
  { services, user, asUser, log }: ConnectContext,
  input: CreateConnectionValues,
  progress: ConnectProgressRecorder,
): Promise<ConnectionWriteResult> {
  const credentials = { accountSid: input.accountSid, authToken: input.authToken };
  await progress.step('verify_credentials', () => verifyTwilioCredentials(services, credentials));

  const target = await progress.step('find_sender', async (): Promise<ConnectTarget> => {
    if (input.kind === 'messaging_service') {
      const service = await findTwilioMessagingService(services, credentials, input.messagingServiceSid);
      const [first] = service.whatsappSenders;
      // findMessagingService refuses a service without one; this only satisfies the types.
      if (!first) throw new Error(`Messaging Service ${service.sid} has no WhatsApp sender`);
      return {
        whatsappNumber: first.number,
        whatsappNumberSid: first.sid,
        messagingService: { sid: service.sid, senders: service.whatsappSenders.map((s) => s.number) },
        label: `Messaging Service ${service.sid}`,
      };
    }
    const sender = await findTwilioSender(services, credentials, input.whatsappNumber);
    return {
      whatsappNumber: input.whatsappNumber,
      whatsappNumberSid: sender.sid,
      messagingService: null,
      label: input.whatsappNumber,
    };
  });

  const stored = await progress.step('save', async () => {
    // Only once Twilio accepted the credentials: for the sandbox number (shared by
    // every account) the answer says whether that account is connected here, which
    // nobody without its Auth Token may learn.
    const { holder, label } = target.messagingService
      ? await serviceHolder(services.db, target.messagingService.sid, target, input.accountSid)
      : {
          holder: await connectionHoldingNumber(services.db, target.whatsappNumber, input.accountSid),
          label: target.label,
        };
    const ours = holder?.organizationId === user.organizationId;
    if (holder && !holder.disconnected) throw alreadyConnected(label, ours);
    if (holder && !ours) throw heldByAnotherHistory(label);

    // Connected again in the same organization: the disconnected row comes back with
    // the new credentials, keeping its id, so its conversation and events continue.
    // Otherwise the id is made here so the ciphertext can be bound to its row before the insert.
    const id = holder?.id ?? randomUUID();
    const fields = {
      twilioAccountSid: input.accountSid,
      twilioAuthTokenHash: services.vault.encrypt(input.authToken, {
        rowId: id,
        accountSid: input.accountSid,
      }),
      // A row reused below may have been the other kind (a service whose first sender
      // is this number, or a number now connected through its service): it becomes
      // what is connected now.
      whatsappNumber: target.whatsappNumber,
      messagingServiceSid: target.messagingService?.sid ?? null,
      whatsappNumberSid: target.whatsappNumberSid,
      messagingServiceSenders: target.messagingService?.senders ?? null,
      webhookConfigured: false,
      lastVerifiedAt: new Date(),
    };
    return asUser(
      (tx): Promise<ConnectionRow> =>
        holder
          ? updateConnection(tx, id, {
              ...fields,
              ...(input.friendlyName === undefined ? {} : { friendlyName: input.friendlyName }),
              isActive: true,
              disconnectedAt: null,
              disconnectedBy: null,
            })
          : insertConnection(tx, {
              ...fields,
              id,
              organizationId: user.organizationId,
              friendlyName: input.friendlyName ?? null,
            }),
    );
  });

  const webhooks = await progress.step(
    'configure_webhooks',
    () => configureTwilioWebhooks(services, credentials, stored),
    (setup) => setup.error,
  );
  const row = webhooks.configured
    ? await asUser((tx) => updateConnection(tx, stored.id, webhookSetupPatch(webhooks)))
    : stored;
  if (webhooks.error) log.warn({ connectionId: stored.id }, 'connection stored; webhooks not configured');
  return { ...presentConnection(row, services.publicUrl), webhookError: webhooks.error };
}

/**
 * The row a Messaging Service's connection takes over, and how to name it: the row of
 * the service itself, or else a DISCONNECTED row holding the service's first sender (a
 * number connected alone before, or another service with that first sender). Connecting
 * the service takes that row back, history and all, just as connecting a number takes
 * back a disconnected service row whose first sender it is; left alone it would only
 * make the insert fail on the number's unique constraint. A connected row holding the
 * number is still that constraint's to refuse.
 */
async function serviceHolder(
  db: Database,
  serviceSid: string,
  target: Pick<ConnectTarget, 'whatsappNumber' | 'label'>,
  accountSid: string,
): Promise<{ holder: NumberHolder | null; label: string }> {
  const byService = await connectionHoldingService(db, serviceSid);
  if (byService) return { holder: byService, label: target.label };
  const byNumber = await connectionHoldingNumber(db, target.whatsappNumber, accountSid);
  return byNumber?.disconnected
    ? { holder: byNumber, label: target.whatsappNumber }
    : { holder: null, label: target.label };
}
