import {
  connectStepStates,
  connectSteps,
  intakeVerdicts,
  type MessageMedia,
  messageDirections,
  messageStatuses,
  orgRoles,
  refusedVerdicts,
  webhookEventSources,
  webhookEventStatuses,
  webhookEventTypes,
} from '@app/contracts';
import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  customType,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgSchema,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// Every enum tuple lives in @app/contracts (the SPA imports them, so they cannot live
// here); the columns below take them as they are. Re-exported for the server's use.
export {
  isMessageStatus,
  type MessageDirection,
  type MessageMedia,
  type MessageStatus,
  messageDirections,
  messageStatuses,
  type OrgRole,
  orgRoles,
  type WebhookEventSource,
  type WebhookEventStatus,
  type WebhookEventType,
  webhookEventSources,
  webhookEventStatuses,
  webhookEventTypes,
} from '@app/contracts';

// Mirrors migrations/*.sql, which are the source of truth; test/drift.test.ts fails
// when the two disagree (tables, columns, types, nullability, defaults).

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });
const tz = { withTimezone: true, mode: 'date' } as const;

export const authSchema = pgSchema('auth');
export const appPrivate = pgSchema('app_private');

export const users = authSchema.table('users', {
  id: uuid('id').primaryKey().defaultRandom(),
  email: text('email').notNull(),
  encryptedPassword: text('encrypted_password'),
  createdAt: timestamp('created_at', tz).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
});

export const sessions = appPrivate.table('sessions', {
  id: uuid('id').primaryKey().defaultRandom(),
  tokenHash: bytea('token_hash').notNull().unique(),
  userId: uuid('user_id')
    .notNull()
    .references(() => users.id, { onDelete: 'cascade' }),
  createdAt: timestamp('created_at', tz).notNull().defaultNow(),
  lastSeenAt: timestamp('last_seen_at', tz).notNull().defaultNow(),
  expiresAt: timestamp('expires_at', tz).notNull(),
});

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  createdAt: timestamp('created_at', tz).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
});

export const profiles = pgTable(
  'profiles',
  {
    id: uuid('id')
      .primaryKey()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: orgRoles }).notNull().default('member'),
    displayName: text('display_name'),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [index('idx_profiles_org').on(t.organizationId)],
);

/** A sender's or number's webhook settings as Twilio held them (null: not set). */
export interface StoredWebhookSettings {
  inboundUrl: string | null;
  inboundMethod: string | null;
  statusUrl: string | null;
  statusMethod: string | null;
  /**
   * A Messaging Service only: its UseInboundWebhookOnNumber before we turned it off
   * (20261201_messaging_services); absent for a sender or number.
   */
  useInboundWebhookOnNumber?: boolean | null;
}

export const twilioWhatsappConnections = pgTable(
  'twilio_whatsapp_connections',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    twilioAccountSid: text('twilio_account_sid').notNull(),
    /**
     * AES-256-GCM envelope despite the seed's name (FIX 1). Never leaves the server;
     * authenticated may write it but not read it (column grants, FIX 7): read it with
     * withServiceRole, and name columns (connectionColumns) in queries run as a user.
     */
    twilioAuthTokenHash: text('twilio_auth_token_hash'),
    whatsappNumber: text('whatsapp_number').notNull(),
    whatsappNumberSid: text('whatsapp_number_sid'),
    friendlyName: text('friendly_name'),
    isActive: boolean('is_active').notNull().default(true),
    webhookConfigured: boolean('webhook_configured').notNull().default(false),
    lastVerifiedAt: timestamp('last_verified_at', tz),
    /** The end of the last window read from Twilio's Messages API to the end (20261130). */
    lastReconciledAt: timestamp('last_reconciled_at', tz),
    /** One reconciliation per connection at a time across processes; not readable by users (20261130). */
    reconcileLeaseUntil: timestamp('reconcile_lease_until', tz),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
    /**
     * The Auth Token the last update replaced, encrypted like the current one but bound
     * as "previous" (20261130_token_rotation): webhook signatures made with it are
     * accepted until previousTokenExpiresAt. Never leaves the server; authenticated
     * may not read it (column grants).
     */
    twilioPreviousAuthToken: text('twilio_previous_auth_token'),
    previousTokenExpiresAt: timestamp('previous_token_expires_at', tz),
    /** Last delivery seen signed with each token (to about a minute); reset at each rotation. */
    lastSignedWithCurrentAt: timestamp('last_signed_with_current_at', tz),
    lastSignedWithPreviousAt: timestamp('last_signed_with_previous_at', tz),
    /** Disconnected: the token is erased (NULL above), the row and its history kept (20261130). */
    disconnectedAt: timestamp('disconnected_at', tz),
    disconnectedBy: uuid('disconnected_by').references(() => users.id, { onDelete: 'set null' }),
    /** Twilio's settings before ours, restored at disconnect; service role only (column grants). */
    twilioWebhooksBefore: jsonb('twilio_webhooks_before').$type<StoredWebhookSettings>(),
    /** The Messaging Service (MG…) of a connection made with one; null for one number (20261201). */
    messagingServiceSid: text('messaging_service_sid'),
    /** That service's WhatsApp senders (E.164) at the last connect or verify (20261201). */
    messagingServiceSenders: jsonb('messaging_service_senders').$type<string[]>(),
  },
  (t) => [
    // A previous token always has the end of its grace period (20261130_token_rotation).
    check(
      'twilio_whatsapp_connections_previous_token_expiry',
      sql`(twilio_previous_auth_token IS NULL) = (previous_token_expires_at IS NULL)`,
    ),
    index('idx_twilio_wa_connections_previous_token')
      .on(t.previousTokenExpiresAt)
      .where(sql`previous_token_expires_at IS NOT NULL`),
    // A real number is connected once across organizations; Twilio's sandbox number
    // is shared by every account, so it is unique per account only (20260205, FIX 8).
    uniqueIndex('twilio_whatsapp_connections_whatsapp_number_key')
      .on(t.whatsappNumber)
      .where(sql`whatsapp_number <> '+14155238886'`),
    unique('twilio_whatsapp_connections_account_number_key').on(t.twilioAccountSid, t.whatsappNumber),
    check(
      'twilio_whatsapp_connections_messaging_service_sid_check',
      sql`messaging_service_sid ~ '^MG[0-9a-f]{32}$'`,
    ),
    uniqueIndex('twilio_whatsapp_connections_messaging_service_key')
      .on(t.messagingServiceSid)
      .where(sql`messaging_service_sid IS NOT NULL`),
    index('idx_twilio_wa_connections_org').on(t.organizationId),
    index('idx_twilio_wa_connections_number').on(t.whatsappNumber),
    index('idx_twilio_wa_connections_active').on(t.isActive).where(sql`is_active = true`),
  ],
);

/**
 * The steps of a connect attempt as the server finishes them (20261201): polled by
 * the settings screen, which may reach another process than the one connecting.
 */
export const twilioWhatsappConnectProgress = pgTable(
  'twilio_whatsapp_connect_progress',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    attemptId: uuid('attempt_id').notNull(),
    step: text('step', { enum: connectSteps }).notNull(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    state: text('state', { enum: connectStepStates }).notNull(),
    message: text('message'),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.attemptId, t.step] }),
    index('idx_twilio_wa_connect_progress_updated').on(t.updatedAt),
  ],
);

/** The verified form params of a delivery: Twilio repeats a parameter for several values. */
export type WebhookPayload = Record<string, string | string[]>;

export const twilioWhatsappWebhookEvents = pgTable(
  'twilio_whatsapp_webhook_events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => twilioWhatsappConnections.id, { onDelete: 'cascade' }),
    messageSid: text('message_sid').notNull(),
    eventType: text('event_type', { enum: webhookEventTypes }).notNull(),
    payloadHash: text('payload_hash'),
    messageStatus: text('message_status'),
    idempotencyKey: text('idempotency_key').notNull(),
    payload: jsonb('payload').$type<WebhookPayload>().notNull(),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', tz).notNull().defaultNow(),
    processedAt: timestamp('processed_at', tz),
    status: text('status', { enum: webhookEventStatuses }).notNull().default('pending'),
    errorMessage: text('error_message'),
    /** Posted by Twilio, or read back from its Messages API (20261130). */
    source: text('source', { enum: webhookEventSources }).notNull().default('webhook'),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    /** The admin who last sent this failed event back to the worker, and when (20261201_delivery_log). */
    retriedBy: uuid('retried_by').references(() => users.id, { onDelete: 'set null' }),
    retriedAt: timestamp('retried_at', tz),
  },
  (t) => [
    unique('twilio_whatsapp_webhook_events_idempotency_key').on(t.connectionId, t.idempotencyKey),
    index('idx_twilio_wa_webhook_events_status').on(t.status).where(sql`status = 'pending'`),
    index('idx_twilio_wa_webhook_events_sid').on(t.messageSid),
    index('idx_twilio_wa_webhook_events_due').on(t.nextAttemptAt).where(sql`status = 'pending'`),
    index('idx_twilio_wa_webhook_events_connection').on(t.connectionId, t.createdAt.desc()),
    index('idx_twilio_wa_webhook_events_processed').on(t.processedAt).where(sql`status <> 'pending'`),
  ],
);

export const twilioWhatsappMessages = pgTable(
  'twilio_whatsapp_messages',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => twilioWhatsappConnections.id, { onDelete: 'cascade' }),
    messageSid: text('message_sid').unique(),
    direction: text('direction', { enum: messageDirections }).notNull(),
    fromNumber: text('from_number').notNull(),
    toNumber: text('to_number').notNull(),
    body: text('body'),
    media: jsonb('media').$type<MessageMedia[]>().notNull().default(sql`'[]'::jsonb`),
    profileName: text('profile_name'),
    waId: text('wa_id'),
    latitude: doublePrecision('latitude'),
    longitude: doublePrecision('longitude'),
    locationAddress: text('location_address'),
    locationLabel: text('location_label'),
    buttonPayload: text('button_payload'),
    buttonText: text('button_text'),
    /** The Content API template (HX…) an outbound message was sent with (20261201_templates). */
    contentSid: text('content_sid'),
    /** The ContentVariables sent with it; null when contentSid is. */
    contentVariables: jsonb('content_variables').$type<Record<string, string>>(),
    status: text('status', { enum: messageStatuses }).notNull(),
    errorCode: integer('error_code'),
    errorMessage: text('error_message'),
    sentBy: uuid('sent_by').references(() => users.id, { onDelete: 'set null' }),
    statusUpdatedAt: timestamp('status_updated_at', tz).notNull().defaultNow(),
    /** When the server last fetched an unfinished outbound status from Twilio (20261130). */
    statusCheckedAt: timestamp('status_checked_at', tz),
    createdAt: timestamp('created_at', tz).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', tz).notNull().defaultNow(),
  },
  (t) => [
    index('idx_twilio_wa_messages_connection').on(t.connectionId, t.createdAt.desc(), t.id.desc()),
    index('idx_twilio_wa_messages_org').on(t.organizationId),
    // One customer's messages (20261201_templates): the other party of each message.
    index('idx_twilio_wa_messages_customer').on(
      t.connectionId,
      sql`(case when direction = 'inbound' then from_number else to_number end)`,
      t.createdAt.desc(),
      t.id.desc(),
    ),
    index('idx_twilio_wa_messages_unfinished')
      .on(t.statusUpdatedAt)
      .where(
        sql`direction = 'outbound' and message_sid is not null and status in ('accepted', 'scheduled', 'queued', 'sending', 'sent')`,
      ),
  ],
);

/** Deliveries per connection, minute and intake verdict, flushed from memory by the intake (20261201_delivery_log). */
export const twilioWhatsappDeliveryCounts = pgTable(
  'twilio_whatsapp_delivery_counts',
  {
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => twilioWhatsappConnections.id, { onDelete: 'cascade' }),
    minute: timestamp('minute', tz).notNull(),
    verdict: text('verdict', { enum: intakeVerdicts }).notNull(),
    count: integer('count').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.connectionId, t.minute, t.verdict] }),
    index('idx_twilio_wa_delivery_counts_minute').on(t.minute),
  ],
);

/** The last refused deliveries of each connection (newest 50 kept); never a body or token (20261201_delivery_log). */
export const twilioWhatsappRefusedDeliveries = pgTable(
  'twilio_whatsapp_refused_deliveries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    connectionId: uuid('connection_id')
      .notNull()
      .references(() => twilioWhatsappConnections.id, { onDelete: 'cascade' }),
    receivedAt: timestamp('received_at', tz).notNull(),
    eventType: text('event_type', { enum: webhookEventTypes }).notNull(),
    verdict: text('verdict', { enum: refusedVerdicts }).notNull(),
    sourceIp: text('source_ip'),
    reason: text('reason').notNull(),
  },
  (t) => [
    index('idx_twilio_wa_refused_deliveries_connection').on(t.connectionId, t.receivedAt.desc(), t.id.desc()),
  ],
);

/** The migration runner's own bookkeeping (created by the runner, not a migration). */
export const schemaMigrations = appPrivate.table('schema_migrations', {
  filename: text('filename').primaryKey(),
  checksum: text('checksum').notNull(),
  appliedAt: timestamp('applied_at', tz).notNull().defaultNow(),
  durationMs: bigint('duration_ms', { mode: 'number' }).notNull(),
});

export type User = typeof users.$inferSelect;
export type Organization = typeof organizations.$inferSelect;
export type Profile = typeof profiles.$inferSelect;
export type TwilioWhatsappConnection = typeof twilioWhatsappConnections.$inferSelect;
export type NewTwilioWhatsappConnection = typeof twilioWhatsappConnections.$inferInsert;
export type TwilioWhatsappWebhookEvent = typeof twilioWhatsappWebhookEvents.$inferSelect;
export type TwilioWhatsappMessage = typeof twilioWhatsappMessages.$inferSelect;
