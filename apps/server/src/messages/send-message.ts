import {
  bareWhatsappAddress,
  isTemplateSend,
  type SendMessage,
  type TemplateSendMessage,
  type WhatsappMessage,
  whatsappAddress,
} from '@app/contracts';
import {
  type Database,
  isMessageStatus,
  type TwilioWhatsappMessage,
  type Tx,
  twilioWhatsappMessages,
  withServiceRole,
} from '@app/db';
import {
  type SentMessage,
  type TwilioAdapter,
  TwilioAdapterError,
  type TwilioCredentials,
} from '@app/twilio';
import { and, eq, isNull, or, sql } from 'drizzle-orm';
import { type ActingUser, asUser } from '../auth/acting-user.ts';
import { ConnectionDisconnectedError, ConnectionPausedError } from '../connections/errors.ts';
import { type ConnectionRow, findConnection } from '../connections/store.ts';
import { credentialsOnce } from '../connections/twilio-access.ts';
import { TwilioRefusalError } from '../connections/twilio-errors.ts';
import { webhookUrlsFor } from '../connections/webhook-urls.ts';
import { DomainError } from '../domain-error.ts';
import { type ResolvedTemplate, resolveTemplate } from '../templates/resolve-template.ts';
import type { CredentialVault } from '../vault/credential-vault.ts';
import { CustomerWindowClosedError, lastInboundAt, windowExpiresAt } from './customer-window.ts';
import { toMessageOutput } from './message-output.ts';

/** What sending needs from AppServices. */
export interface MessagingServices {
  db: Database;
  publicUrl: URL;
  twilio: TwilioAdapter;
  vault: CredentialVault;
}

/** Free text (`body`, `mediaUrls`) or a template (`template`), `to` as `whatsapp:+E164`. */
export type OutgoingMessage = SendMessage;

const m = twilioWhatsappMessages;

/** What is stored and sent: the text and media the customer gets, and the template when there is one. */
interface OutgoingContent {
  body: string | undefined;
  mediaUrls: string[];
  template: ResolvedTemplate | null;
}

/** A template's content: stored as the customer will read it, sent as ContentSid + ContentVariables. */
function templateContent(template: ResolvedTemplate): OutgoingContent {
  return { body: template.renderedBody, mediaUrls: template.renderedMedia, template };
}

/**
 * `whatsapp.messages.send`. The queued row is committed before Twilio is called, so
 * the message exists (and shows) whatever happens next; the call runs outside any
 * transaction so no connection is held while Twilio answers; Twilio's answer then
 * only moves the row forward (a status callback may have overtaken it).
 */
export async function sendWhatsappMessage({
  services,
  sender,
  message,
  log,
}: {
  services: MessagingServices;
  /** The member sending it: the row is written as them, under row-level security. */
  sender: ActingUser;
  message: OutgoingMessage;
  log?: SendLogger | undefined;
}): Promise<WhatsappMessage> {
  // A template is checked (and the connection read for it) before anything is stored.
  let template: CheckedTemplateSend | null = null;
  let content: OutgoingContent;
  if (isTemplateSend(message)) {
    template = await checkTemplateSend(services, sender, message);
    content = template.content;
  } else {
    content = { body: message.body, mediaUrls: message.mediaUrls, template: null };
  }

  const { connection, queued } = await asUser(services.db, sender, async (tx) => {
    // Read in the transaction that queues the message, free text or template: a pause
    // or a disconnect committed while a template was checked (which may wait on
    // Twilio) is seen here, before anything is queued.
    const connection = await sendableConnection(tx, message.connectionId);
    if (!template) await checkCustomerWindow(tx, connection.id, message.to);
    // Exactly what the insert policy allows a member: outbound, queued, no SID yet, sent by themself.
    const [queued] = await tx
      .insert(m)
      .values({
        organizationId: connection.organizationId,
        connectionId: connection.id,
        direction: 'outbound',
        fromNumber: whatsappAddress(connection.whatsappNumber),
        toNumber: message.to,
        // For a template: the text the customer reads, so the history shows it.
        body: content.body || null,
        media: content.mediaUrls.map((url) => ({ url, contentType: null })),
        contentSid: content.template?.contentSid ?? null,
        contentVariables: content.template?.variables ?? null,
        status: 'queued',
        sentBy: sender.userId,
      })
      .returning();
    return { connection, queued: queued as TwilioWhatsappMessage };
  });
  const credentials = template?.credentials ?? credentialsOnce(services, connection);

  let sent: SentMessage;
  try {
    sent = await services.twilio.sendMessage(await credentials(), {
      from: connection.whatsappNumber,
      // A Messaging Service connection sends through the service: Twilio picks the sender.
      ...(connection.messagingServiceSid === null
        ? {}
        : { messagingServiceSid: connection.messagingServiceSid }),
      to: message.to,
      ...(content.template
        ? { contentSid: content.template.contentSid, contentVariables: content.template.variables }
        : { ...(content.body === undefined ? {} : { body: content.body }), mediaUrls: content.mediaUrls }),
      statusCallback: webhookUrlsFor(services.publicUrl, connection.id).status,
    });
  } catch (error) {
    if (error instanceof TwilioAdapterError && error.requestMayHaveReachedTwilio) {
      // A timeout or a reset after the request was written: Twilio may have
      // accepted it. The row stays queued without a SID; the status callbacks
      // adopt it (webhooks/apply-event.ts). Marking it failed would invite a
      // second, duplicate send.
      throw new MessageOutcomeUnknownError();
    }
    const refusal = error instanceof TwilioAdapterError ? new TwilioRefusalError(error, 'send') : error;
    await markRefused(services.db, queued.id, refusalReason(refusal));
    throw refusal;
  }

  const recorded = await recordTwilioAnswerWithRetries(services.db, queued.id, sent, log);
  if (recorded) return toMessageOutput(recorded);
  // Twilio accepted it: the person must not be told it failed. The row keeps
  // status queued without a SID until the status callbacks adopt it.
  return toMessageOutput({ ...queued, ...answerFields(sent), statusUpdatedAt: new Date() });
}

/** A checked template send: the connection it was checked with (the sender's own RLS read; the send re-reads it where it queues), content and credentials. */
interface CheckedTemplateSend {
  connection: ConnectionRow;
  content: OutgoingContent;
  /** The connection's credentials, read at most once for the whole send. */
  credentials: () => Promise<TwilioCredentials>;
}

/**
 * A template send, checked against the account's templates (approved, exactly its
 * variables) before anything is stored or sent. The connection is read as the sender
 * under RLS (NOT_FOUND when it is not theirs); its secret is read at most once for the
 * check (the template list needs it on a cache miss) and the send.
 */
async function checkTemplateSend(
  services: MessagingServices,
  sender: ActingUser,
  message: TemplateSendMessage,
): Promise<CheckedTemplateSend> {
  const connection = await asUser(services.db, sender, (tx) => findConnection(tx, message.connectionId));
  // Paused or disconnected: refused before Twilio is asked for the templates.
  usableForSending(connection);
  const credentials = credentialsOnce(services, connection);
  const content = templateContent(await resolveTemplate(services, connection, message.template, credentials));
  return { connection, content, credentials };
}

/** The connection, if it may send: its token is erased once disconnected; paused, it receives but does not send. */
async function sendableConnection(tx: Tx, connectionId: string): Promise<ConnectionRow> {
  const connection = await findConnection(tx, connectionId);
  usableForSending(connection);
  return connection;
}

function usableForSending(connection: ConnectionRow): void {
  if (connection.disconnectedAt) throw new ConnectionDisconnectedError();
  if (!connection.isActive) throw new ConnectionPausedError();
}

/**
 * Free text reaches the customer only inside their 24-hour window; outside it Twilio
 * would accept it and WhatsApp fail it (63016). Refused before Twilio is called.
 */
async function checkCustomerWindow(tx: Tx, connectionId: string, to: string): Promise<void> {
  const lastInbound = await lastInboundAt(tx, connectionId, to);
  if (windowExpiresAt(lastInbound) === null) {
    throw new CustomerWindowClosedError(bareWhatsappAddress(to), lastInbound);
  }
}

export const MAYBE_DELIVERED =
  'Twilio did not answer in time; the message may still be delivered — check the conversation before sending again.';

/** Twilio may have accepted the message; sending it again could deliver it twice. */
export class MessageOutcomeUnknownError extends DomainError {
  readonly kind = 'outcome_unknown';

  constructor() {
    super(MAYBE_DELIVERED);
  }
}

/** Minimal logger: the server passes the request's pino logger. */
export interface SendLogger {
  error(object: Record<string, unknown>, message: string): void;
  warn(object: Record<string, unknown>, message: string): void;
}

const RECORD_ATTEMPTS = 3;

/**
 * Twilio accepted the message; storing its SID may still fail (a lost connection,
 * a failover). Tries a few times; on giving up logs the ids (no secrets) and
 * returns null: the status callbacks adopt the SID-less row later.
 */
async function recordTwilioAnswerWithRetries(
  db: Database,
  id: string,
  sent: SentMessage,
  log: SendLogger | undefined,
): Promise<TwilioWhatsappMessage | null> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await recordTwilioAnswer(db, id, sent, log);
    } catch (error) {
      if (attempt >= RECORD_ATTEMPTS) {
        const code = pgCode(error);
        log?.error(
          { messageId: id, messageSid: sent.sid, ...(code ? { pgCode: code } : {}) },
          'Twilio accepted the message but its SID could not be stored; status callbacks will adopt it',
        );
        return null;
      }
      await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
    }
  }
}

function pgCode(error: unknown): string | undefined {
  for (let e: unknown = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function answerFields(sent: SentMessage) {
  return {
    messageSid: sent.sid,
    status: isMessageStatus(sent.status) ? sent.status : ('queued' as const),
    errorCode: sent.errorCode,
    errorMessage: sent.errorMessage,
  };
}

/**
 * Stores the MessageSid and moves the status forward only
 * (app_private.twilio_message_status_rank). A row that already holds another
 * SID (a status callback adopted it while Twilio was answering) keeps it: the
 * mismatch is logged (ids only) and the row is returned as it is.
 */
export async function recordTwilioAnswer(
  db: Database,
  id: string,
  sent: SentMessage,
  log?: Pick<SendLogger, 'warn'>,
): Promise<TwilioWhatsappMessage> {
  const { status } = answerFields(sent);
  const advances = sql`app_private.twilio_message_status_rank(${status}) > app_private.twilio_message_status_rank(${m.status})`;
  const { row, current } = await withServiceRole(db, async (tx) => {
    const [row] = await tx
      .update(m)
      .set({
        messageSid: sent.sid,
        status: sql`case when ${advances} then ${status} else ${m.status} end`,
        statusUpdatedAt: sql`case when ${advances} then now() else ${m.statusUpdatedAt} end`,
        errorCode: sql`coalesce(${m.errorCode}, ${sent.errorCode})`,
        errorMessage: sql`coalesce(${m.errorMessage}, ${sent.errorMessage})`,
        // Through a Messaging Service, the sender Twilio picked from its pool.
        ...(sent.from ? { fromNumber: sent.from } : {}),
      })
      .where(and(eq(m.id, id), or(isNull(m.messageSid), eq(m.messageSid, sent.sid))))
      .returning();
    if (row) return { row, current: undefined };
    const [current] = await tx.select().from(m).where(eq(m.id, id));
    return { row: undefined, current };
  });
  if (row) return row;
  if (!current) throw new Error(`outbound message ${id} disappeared while Twilio accepted it as ${sent.sid}`);
  log?.warn(
    { messageId: id, messageSid: sent.sid, storedMessageSid: current.messageSid },
    'Twilio accepted the message, but its row already holds another MessageSid; kept the stored one',
  );
  return current;
}

/** What a refused message's row says: the sentence shown, and Twilio's code when Twilio refused it. */
interface RefusalReason {
  message: string;
  twilioCode: number | null;
}

function refusalReason(error: unknown): RefusalReason {
  if (error instanceof TwilioRefusalError) return { message: error.message, twilioCode: error.twilioCode };
  // e.g. the stored token could not be read (storedCredentials says why)
  if (error instanceof DomainError) return { message: error.message, twilioCode: null };
  return { message: 'The message could not be sent because of a problem on our side.', twilioCode: null };
}

/** A refused message is kept, failed, with the reason, so the conversation shows what happened. */
async function markRefused(db: Database, id: string, refusal: RefusalReason): Promise<void> {
  await withServiceRole(db, (tx) =>
    tx
      .update(m)
      .set({
        status: 'failed',
        statusUpdatedAt: sql`now()`,
        errorCode: refusal.twilioCode,
        errorMessage: refusal.message,
      })
      .where(eq(m.id, id)),
  );
}
