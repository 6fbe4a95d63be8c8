import { sql } from 'drizzle-orm';
import { bare, preparedStatement, type Queryable } from './prepared.ts';
import {
  twilioWhatsappConnections as connections,
  type MessageStatus,
  twilioWhatsappMessages as messages,
  type TwilioWhatsappMessage,
} from './schema.ts';

// The webhook worker's writes to twilio_whatsapp_messages, one statement each.
// Those an event drives are scoped by its connection: a tenant's event can never
// touch another tenant's message.

/** An inbound message as a webhook describes it; its organization comes from the connection. */
export type InboundMessage = Pick<
  TwilioWhatsappMessage,
  | 'connectionId'
  | 'fromNumber'
  | 'toNumber'
  | 'body'
  | 'media'
  | 'profileName'
  | 'waId'
  | 'latitude'
  | 'longitude'
  | 'locationAddress'
  | 'locationLabel'
  | 'buttonPayload'
  | 'buttonText'
> & {
  messageSid: string;
  /**
   * When Twilio received it, if the event says (a message read back by reconciliation
   * long after): its created_at, so the 24-hour window and the conversation's order
   * follow the customer's time, not ours. Null: now (a webhook carries no date).
   * A time in the future is taken as now: a window never stays open longer than WhatsApp's.
   */
  receivedAt: Date | null;
};

type Columns<T> = { [K in keyof T]: T[K][] };

const insertInbound = preparedStatement<
  Columns<Omit<InboundMessage, 'media' | 'receivedAt'>> & { media: string[]; receivedAt: (string | null)[] },
  object
>(
  sql`
  insert into ${messages}
    (${bare(messages.organizationId)}, ${bare(messages.connectionId)}, ${bare(messages.messageSid)},
     ${bare(messages.direction)}, ${bare(messages.fromNumber)}, ${bare(messages.toNumber)}, ${bare(messages.body)},
     ${bare(messages.media)}, ${bare(messages.profileName)}, ${bare(messages.waId)}, ${bare(messages.latitude)},
     ${bare(messages.longitude)}, ${bare(messages.locationAddress)}, ${bare(messages.locationLabel)},
     ${bare(messages.buttonPayload)}, ${bare(messages.buttonText)}, ${bare(messages.status)},
     ${bare(messages.createdAt)})
  select ${connections.organizationId}, ${connections.id}, m.message_sid, 'inbound', m.from_number, m.to_number,
         m.body, m.media::jsonb, m.profile_name, m.wa_id, m.latitude, m.longitude, m.location_address,
         m.location_label, m.button_payload, m.button_text, 'received',
         -- least() skips a null: no date is now(). (Sent as text: the driver cannot bind a
         -- timestamptz[] holding nulls.)
         least(m.received_at::timestamptz, now())
  from unnest(
    ${sql.placeholder('connectionId')}::uuid[], ${sql.placeholder('messageSid')}::text[],
    ${sql.placeholder('fromNumber')}::text[], ${sql.placeholder('toNumber')}::text[],
    ${sql.placeholder('body')}::text[], ${sql.placeholder('media')}::text[],
    ${sql.placeholder('profileName')}::text[], ${sql.placeholder('waId')}::text[],
    ${sql.placeholder('latitude')}::float8[], ${sql.placeholder('longitude')}::float8[],
    ${sql.placeholder('locationAddress')}::text[], ${sql.placeholder('locationLabel')}::text[],
    ${sql.placeholder('buttonPayload')}::text[], ${sql.placeholder('buttonText')}::text[],
    ${sql.placeholder('receivedAt')}::text[]
  ) as m(connection_id, message_sid, from_number, to_number, body, media, profile_name, wa_id,
         latitude, longitude, location_address, location_label, button_payload, button_text, received_at)
  join ${connections} on ${connections.id} = m.connection_id
  on conflict (${bare(messages.messageSid)}) do nothing
`,
);

/** Stores inbound messages once per MessageSid, whatever the number of copies: one multi-row insert. */
export async function insertInboundMessages(on: Queryable, rows: readonly InboundMessage[]): Promise<void> {
  if (rows.length === 0) return;
  const col = <K extends keyof InboundMessage>(k: K) => rows.map((r) => r[k]);
  await insertInbound(on, {
    connectionId: col('connectionId'),
    messageSid: col('messageSid'),
    fromNumber: col('fromNumber'),
    toNumber: col('toNumber'),
    body: col('body'),
    media: rows.map((r) => JSON.stringify(r.media)),
    profileName: col('profileName'),
    waId: col('waId'),
    latitude: col('latitude'),
    longitude: col('longitude'),
    locationAddress: col('locationAddress'),
    locationLabel: col('locationLabel'),
    buttonPayload: col('buttonPayload'),
    buttonText: col('buttonText'),
    receivedAt: rows.map((r) => r.receivedAt?.toISOString() ?? null),
  });
}

/** A status callback's news about one message. */
export interface MessageStatusChange {
  connectionId: string;
  messageSid: string;
  status: MessageStatus;
  /** Twilio's error code, when the callback carries one. */
  twilioErrorCode: number | null;
  errorMessage: string | null;
}

type StatusValues = {
  connectionId: string;
  messageSid: string;
  status: string;
  code: number | null;
  message: string | null;
};

const statusValues = (c: MessageStatusChange): StatusValues => ({
  connectionId: c.connectionId,
  messageSid: c.messageSid,
  status: c.status,
  code: c.twilioErrorCode,
  message: c.errorMessage,
});

const moveForward = preparedStatement<StatusValues, { known: boolean }>(sql`
  with moved as (
    update ${messages}
    set ${bare(messages.status)} = ${sql.placeholder('status')},
        ${bare(messages.errorCode)} = coalesce(${sql.placeholder('code')}::int, ${messages.errorCode}),
        ${bare(messages.errorMessage)} = coalesce(${sql.placeholder('message')}::text, ${messages.errorMessage}),
        ${bare(messages.statusUpdatedAt)} = now()
    where ${messages.messageSid} = ${sql.placeholder('messageSid')}
      and ${messages.connectionId} = ${sql.placeholder('connectionId')}
      and app_private.twilio_message_status_rank(${sql.placeholder('status')})
          > app_private.twilio_message_status_rank(${messages.status})
    returning 1
  )
  select exists (select 1 from moved)
      or exists (
        select 1 from ${messages}
        where ${messages.messageSid} = ${sql.placeholder('messageSid')}
          and ${messages.connectionId} = ${sql.placeholder('connectionId')}
      ) as known
`);

/**
 * Moves the message's status forward only (app_private.twilio_message_status_rank):
 * a late 'sent' never overwrites 'delivered', so callbacks may arrive in any order.
 * Returns whether the connection has a message with that SID at all.
 */
export async function moveMessageStatusForward(on: Queryable, change: MessageStatusChange): Promise<boolean> {
  const [row] = await moveForward(on, statusValues(change));
  return row?.known === true;
}

const adoptSend = preparedStatement<
  StatusValues & { fromNumber: string; toNumber: string; adoptOlderThanMs: number },
  { adopted: number; wait: boolean }
>(sql`
  with sid_less as (
    select ${messages.id} as id,
           ${messages.createdAt} >= now() - ${sql.placeholder('adoptOlderThanMs')} * interval '1 millisecond' as young
    from ${messages}
    where ${messages.connectionId} = ${sql.placeholder('connectionId')}
      and ${messages.direction} = 'outbound'
      and ${messages.messageSid} is null
      and ${messages.status} = 'queued'
      and ${messages.toNumber} = ${sql.placeholder('toNumber')}
      -- A Messaging Service's send is queued from its first sender until Twilio's answer
      -- names the one it picked from the pool: with that answer lost, the callback's From
      -- may be any sender of the service.
      and (${messages.fromNumber} = ${sql.placeholder('fromNumber')}
           or exists (select 1 from ${connections}
                      where ${connections.id} = ${sql.placeholder('connectionId')}
                        and ${connections.messagingServiceSid} is not null))
      and ${messages.createdAt} > now() - interval '1 hour'
  ),
  waiting as (select exists (select 1 from sid_less where young) as wait),
  candidates as (
    select ${messages.id} as id from ${messages}
    where ${messages.id} in (select id from sid_less where not young)
    limit 2
    for update
  ),
  adopted as (
    update ${messages}
    set ${bare(messages.messageSid)} = ${sql.placeholder('messageSid')},
        -- The sender Twilio used (for a service, the one it picked).
        ${bare(messages.fromNumber)} = ${sql.placeholder('fromNumber')},
        ${bare(messages.status)} = case
          when app_private.twilio_message_status_rank(${sql.placeholder('status')})
               > app_private.twilio_message_status_rank(${messages.status})
          then ${sql.placeholder('status')} else ${messages.status} end,
        ${bare(messages.errorCode)} = coalesce(${sql.placeholder('code')}::int, ${messages.errorCode}),
        ${bare(messages.errorMessage)} = coalesce(${sql.placeholder('message')}::text, ${messages.errorMessage}),
        ${bare(messages.statusUpdatedAt)} = now()
    where ${messages.id} in (select id from candidates)
      and (select count(*) from candidates) = 1
      and not (select wait from waiting)
    returning ${messages.id}
  )
  select (select count(*) from adopted)::int as adopted, (select wait from waiting) as wait
`);

/**
 * A status callback for a SID we never stored may belong to our own send whose SID
 * was lost (Twilio timed out after accepting it, or storing the SID failed): the
 * connection's single SID-less queued outbound row to the same recipient (from the
 * same sender; for a Messaging Service, from any: Twilio picks) from the last hour
 * takes the SID and the callback's From. 'adopted': it did. 'wait': a SID-less send to that
 * recipient is younger than `adoptOlderThanMs`, so its own answer from Twilio may
 * still come; nothing is adopted yet. 'none': no single candidate (with two or
 * more, nothing is guessed).
 */
export async function adoptQueuedSend(
  on: Queryable,
  change: MessageStatusChange & { fromNumber: string; toNumber: string },
  adoptOlderThanMs: number,
): Promise<'adopted' | 'wait' | 'none'> {
  const [row] = await adoptSend(on, {
    ...statusValues(change),
    fromNumber: change.fromNumber,
    toNumber: change.toNumber,
    adoptOlderThanMs,
  });
  if (row?.adopted) return 'adopted';
  return row?.wait ? 'wait' : 'none';
}

const recordOutbound = preparedStatement<StatusValues & { fromNumber: string; toNumber: string }, object>(sql`
  insert into ${messages}
    (${bare(messages.organizationId)}, ${bare(messages.connectionId)}, ${bare(messages.messageSid)},
     ${bare(messages.direction)}, ${bare(messages.fromNumber)}, ${bare(messages.toNumber)}, ${bare(messages.status)},
     ${bare(messages.errorCode)}, ${bare(messages.errorMessage)})
  select ${connections.organizationId}, ${connections.id}, ${sql.placeholder('messageSid')}, 'outbound',
         ${sql.placeholder('fromNumber')}, ${sql.placeholder('toNumber')}, ${sql.placeholder('status')},
         ${sql.placeholder('code')}::int, ${sql.placeholder('message')}::text
  from ${connections}
  where ${connections.id} = ${sql.placeholder('connectionId')}
  on conflict (${bare(messages.messageSid)}) do nothing
  returning ${messages.id}
`);

/**
 * Records a message sent from outside the app (the Console, another integration)
 * from its status callback. False if a row with that SID exists already.
 */
export async function recordUnknownOutbound(
  on: Queryable,
  change: MessageStatusChange & { fromNumber: string; toNumber: string },
): Promise<boolean> {
  const rows = await recordOutbound(on, {
    ...statusValues(change),
    fromNumber: change.fromNumber,
    toNumber: change.toNumber,
  });
  return rows.length > 0;
}

const failUnconfirmed = preparedStatement<{ message: string }, object>(sql`
  update ${messages}
  set ${bare(messages.status)} = 'failed', ${bare(messages.errorCode)} = null,
      ${bare(messages.errorMessage)} = ${sql.placeholder('message')}, ${bare(messages.statusUpdatedAt)} = now()
  where ${messages.direction} = 'outbound' and ${messages.status} = 'queued' and ${messages.messageSid} is null
    and ${messages.createdAt} < now() - interval '1 hour'
`);

/** Stored on a send Twilio never confirmed. */
export const UNCONFIRMED_SEND_MESSAGE = 'Twilio did not confirm this message; it was probably not sent.';

/**
 * Outbound rows still queued without a SID an hour after they were written: no
 * answer from Twilio and no status callback to adopt them (adoption looks back
 * one hour too), so they would show as queued forever. Marked failed; returns how many.
 */
export async function failUnconfirmedSends(on: Queryable): Promise<number> {
  return (await failUnconfirmed(on, { message: UNCONFIRMED_SEND_MESSAGE })).count;
}
