import { isMessageStatus, type MessageStatus } from '@app/db';
import type postgres from 'postgres';
import { field, inboundMessageFields, UnusablePayloadError, type WebhookPayload } from './inbound-message.ts';

export interface ClaimedEvent {
  id: string;
  connection_id: string;
  event_type: 'message' | 'status';
  message_sid: string;
  message_status: string | null;
  payload: WebhookPayload;
  attempts: number;
  /** created_at as epoch milliseconds (a number whatever the pool's date parsing). */
  created_ms: number;
}

/**
 * 'applied': done. 'deferred': a status callback for a MessageSid we do not know
 * yet (the send stores its SID only after Twilio answers); try again later.
 */
export type ApplyResult = 'applied' | 'deferred';

export interface ApplyOptions {
  unknownSidGraceMs: number;
  /**
   * A SID-less queued send younger than this may still be waiting for Twilio's
   * answer (the adapter gives up after 10 s by default): it is not adopted.
   */
  adoptSendsOlderThanMs: number;
  now: number;
}

type Sql = postgres.TransactionSql;

/** Applies one webhook event to twilio_whatsapp_messages inside the caller's transaction. */
export async function applyWebhookEvent(
  sql: Sql,
  event: ClaimedEvent,
  options: ApplyOptions,
): Promise<ApplyResult> {
  if (event.event_type === 'message') {
    await insertInboundMessages(sql, [event]);
    return 'applied';
  }
  return applyStatusCallback(sql, event, options);
}

/**
 * Inbound messages are stored once per MessageSid, whatever the number of copies:
 * one multi-row insert for a whole batch. Throws UnusablePayloadError (before
 * touching the database) if any payload lacks From or To.
 */
export async function insertInboundMessages(sql: Sql, events: ClaimedEvent[]) {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ e, m: inboundMessageFields(e.payload) }));
  const col = <T>(pick: (r: (typeof rows)[number]) => T) => rows.map(pick);
  await sql`
    insert into twilio_whatsapp_messages
      (organization_id, connection_id, message_sid, direction, from_number, to_number, body, media,
       profile_name, wa_id, latitude, longitude, location_address, location_label,
       button_payload, button_text, status)
    select c.organization_id, c.id, m.message_sid, 'inbound', m.from_number, m.to_number, m.body,
           m.media::jsonb, m.profile_name, m.wa_id, m.latitude, m.longitude, m.location_address,
           m.location_label, m.button_payload, m.button_text, 'received'
    from unnest(
      ${col((r) => r.e.connection_id)}::uuid[], ${col((r) => r.e.message_sid)}::text[],
      ${col((r) => r.m.from)}::text[], ${col((r) => r.m.to)}::text[], ${col((r) => r.m.body)}::text[],
      ${col((r) => JSON.stringify(r.m.media))}::text[], ${col((r) => r.m.profileName)}::text[],
      ${col((r) => r.m.waId)}::text[], ${col((r) => r.m.latitude)}::float8[], ${col((r) => r.m.longitude)}::float8[],
      ${col((r) => r.m.locationAddress)}::text[], ${col((r) => r.m.locationLabel)}::text[],
      ${col((r) => r.m.buttonPayload)}::text[], ${col((r) => r.m.buttonText)}::text[]
    ) as m(connection_id, message_sid, from_number, to_number, body, media, profile_name, wa_id,
           latitude, longitude, location_address, location_label, button_payload, button_text)
    join twilio_whatsapp_connections c on c.id = m.connection_id
    on conflict (message_sid) do nothing
  `;
}

function errorCode(payload: WebhookPayload): number | null {
  const s = field(payload, 'ErrorCode');
  const n = s === null ? Number.NaN : Number.parseInt(s, 10);
  return Number.isInteger(n) ? n : null;
}

/**
 * Moves the message's status forward only (app_private.twilio_message_status_rank):
 * a late 'sent' never overwrites 'delivered', read never returns to delivered, so
 * callbacks may arrive in any order. Scoped by connection: a tenant's callback can
 * never touch another tenant's message.
 */
async function applyStatusCallback(
  sql: Sql,
  event: ClaimedEvent,
  options: ApplyOptions,
): Promise<ApplyResult> {
  const status = event.message_status ?? '';
  // A status our table does not know (Twilio adds some now and then) changes nothing.
  if (!isMessageStatus(status)) return 'applied';
  const code = errorCode(event.payload);
  const message = field(event.payload, 'ErrorMessage');
  const [result] = await moveStatusForward(sql, event, status, code, message);
  if (result?.known) return 'applied';

  if (options.now - event.created_ms < options.unknownSidGraceMs) return 'deferred';

  const from = field(event.payload, 'From');
  const to = field(event.payload, 'To');
  if (!from || !to)
    throw new UnusablePayloadError('status callback for an unknown message without From or To');

  // Still unknown after the grace period. First, it may be our own send whose SID
  // was never stored (Twilio timed out after accepting it, or storing the SID
  // failed): the connection's single SID-less queued outbound row to the same
  // recipient from the last hour takes the SID. With two or more candidates
  // nothing is guessed; while a SID-less send to that recipient is younger than
  // adoptSendsOlderThanMs (past the adapter's timeout) its own answer may still
  // come, so the callback waits.
  const adoption = await adoptQueuedSend(sql, event, { from, to, status: status, code, message }, options);
  if (adoption === 'adopted') return 'applied';
  if (adoption === 'wait') return 'deferred';

  // Otherwise a message sent from outside the app (the Console, another
  // integration). Record it from the callback itself.
  const inserted = await sql`
    insert into twilio_whatsapp_messages
      (organization_id, connection_id, message_sid, direction, from_number, to_number, status,
       error_code, error_message)
    select c.organization_id, c.id, ${event.message_sid}, 'outbound', ${from}, ${to}, ${status},
           ${code}, ${message}
    from twilio_whatsapp_connections c
    where c.id = ${event.connection_id}
    on conflict (message_sid) do nothing
    returning id
  `;
  // Someone stored it meanwhile: apply the status to that row instead.
  if (inserted.length === 0) await moveStatusForward(sql, event, status, code, message);
  return 'applied';
}

/**
 * 'adopted': the single candidate took the SID. 'wait': a SID-less send to the
 * same recipient is younger than adoptSendsOlderThanMs, so its own answer from
 * Twilio may still come (and this callback may be its): nothing is adopted or
 * recorded yet. 'none': no single candidate.
 */
async function adoptQueuedSend(
  sql: Sql,
  event: ClaimedEvent,
  m: { from: string; to: string; status: MessageStatus; code: number | null; message: string | null },
  options: Pick<ApplyOptions, 'adoptSendsOlderThanMs'>,
): Promise<'adopted' | 'wait' | 'none'> {
  const [result] = await sql<{ adopted: number; wait: boolean }[]>`
    with sid_less as (
      select id, created_at >= now() - ${options.adoptSendsOlderThanMs} * interval '1 millisecond' as young
      from twilio_whatsapp_messages
      where connection_id = ${event.connection_id}
        and direction = 'outbound'
        and message_sid is null
        and status = 'queued'
        and to_number = ${m.to}
        and from_number = ${m.from}
        and created_at > now() - interval '1 hour'
    ),
    waiting as (select exists (select 1 from sid_less where young) as wait),
    candidates as (
      select id from twilio_whatsapp_messages
      where id in (select id from sid_less where not young)
      limit 2
      for update
    ),
    adopted as (
      update twilio_whatsapp_messages t
      set message_sid = ${event.message_sid},
          status = case when app_private.twilio_message_status_rank(${m.status}) > app_private.twilio_message_status_rank(t.status)
                        then ${m.status} else t.status end,
          error_code = coalesce(${m.code}::int, t.error_code),
          error_message = coalesce(${m.message}::text, t.error_message),
          status_updated_at = now()
      where t.id in (select id from candidates)
        and (select count(*) from candidates) = 1
        and not (select wait from waiting)
      returning t.id
    )
    select (select count(*) from adopted)::int as adopted, (select wait from waiting) as wait
  `;
  if (result?.adopted) return 'adopted';
  return result?.wait ? 'wait' : 'none';
}

function moveStatusForward(
  sql: Sql,
  event: ClaimedEvent,
  status: MessageStatus,
  code: number | null,
  message: string | null,
) {
  return sql<{ known: boolean }[]>`
    with moved as (
      update twilio_whatsapp_messages m
      set status = ${status},
          error_code = coalesce(${code}::int, m.error_code),
          error_message = coalesce(${message}::text, m.error_message),
          status_updated_at = now()
      where m.message_sid = ${event.message_sid}
        and m.connection_id = ${event.connection_id}
        and app_private.twilio_message_status_rank(${status}) > app_private.twilio_message_status_rank(m.status)
      returning 1
    )
    select exists (select 1 from moved)
        or exists (
          select 1 from twilio_whatsapp_messages
          where message_sid = ${event.message_sid} and connection_id = ${event.connection_id}
        ) as known
  `;
}
