import { bareWhatsappAddress, type WhatsappConversation } from '@app/contracts';
import { type Tx, twilioWhatsappMessages } from '@app/db';
import { type SQL, sql } from 'drizzle-orm';
import { findConnection } from '../connections/store.ts';
import { customerOf, windowExpiresAt } from './customer-window.ts';

const m = twilioWhatsappMessages;

/** A short line for the conversation list: the text, what was tapped, or what kind of media came. */
function previewOf(row: { body: string | null; buttonText: string | null; mediaCount: number }): string {
  if (row.buttonText) return row.buttonText;
  if (row.body) return row.body.length > 120 ? `${row.body.slice(0, 119)}…` : row.body;
  if (row.mediaCount > 0) return row.mediaCount === 1 ? 'Attachment' : `${row.mediaCount} attachments`;
  return '';
}

/** One row of the conversation list's query, before it is shaped for the API. */
export interface ConversationRow extends Record<string, unknown> {
  customer: string;
  lastInboundAt: string | Date | null;
  unreadCount: number;
  customerName: string | null;
  last: {
    id: string;
    direction: 'inbound' | 'outbound';
    body: string | null;
    buttonText: string | null;
    mediaCount: number;
    status: WhatsappConversation['lastMessage']['status'];
    at: string;
  };
}

/**
 * The conversation list's query, for the connection the caller already found.
 *
 * Its cost follows the connection's customers, not its messages: the inbox polls
 * it every few seconds, and grouping every message of the connection by customer
 * read the whole history on each poll. Every read is a probe of
 * idx_twilio_wa_messages_customer (connection, customer, created_at desc, id desc):
 *
 * - `walk` skips from one customer to the next ("loose index scan"): the first
 *   index entry after the previous customer is the next customer's latest
 *   message, so one step reads one row per customer;
 * - `page` orders those latest messages (newest first, then by customer) and keeps
 *   the page;
 * - for the page only: the latest inbound and outbound message, the unread count
 *   (inbound after the latest outbound: every one of the customer's messages
 *   after its latest outbound is inbound, so the count reads exactly the unread
 *   rows), the latest profile name (only when the customer ever wrote), and the
 *   latest message itself.
 *
 * Under row-level security every probe sees what the caller may see, as the
 * grouping did. apps/server/test/conversations-list.test.ts holds it to the
 * grouping's results and to a plan that reads a few rows per customer.
 */
export function conversationsQuery(connectionId: string, limit: number): SQL {
  const byCustomerNewestFirst = sql`order by ${customerOf}, ${m.createdAt} desc, ${m.id} desc limit 1`;
  const ofCustomer = (customer: SQL) =>
    sql`${m.connectionId} = ${connectionId} and ${customerOf} = ${customer}`;
  const newest = sql`order by ${m.createdAt} desc, ${m.id} desc limit 1`;
  return sql`
    with recursive walk (customer, at) as (
      (select ${customerOf}, ${m.createdAt} from ${m}
        where ${m.connectionId} = ${connectionId}
        ${byCustomerNewestFirst})
      union all
      (select next.customer, next.at
        from walk cross join lateral (
          select ${customerOf} as customer, ${m.createdAt} as at from ${m}
          where ${m.connectionId} = ${connectionId} and ${customerOf} > walk.customer
          ${byCustomerNewestFirst}
        ) next)
    ),
    page as (
      select walk.customer, walk.at from walk order by walk.at desc, walk.customer limit ${limit}
    ),
    ends as (
      select page.customer, page.at,
        (select ${m.createdAt} from ${m}
          where ${ofCustomer(sql`page.customer`)} and ${m.direction} = 'inbound' ${newest}) as last_inbound_at,
        -- The unread count's lower bound, as a plain value: inside the count's
        -- condition a coalesce() is not leakproof, so row-level security would keep
        -- the bound out of the index condition and the count would read every
        -- message of the customer instead of the unread ones.
        coalesce((select ${m.createdAt} from ${m}
          where ${ofCustomer(sql`page.customer`)} and ${m.direction} = 'outbound' ${newest}),
          '-infinity'::timestamptz) as read_until
      from page
      offset 0
    )
    select
      ends.customer as "customer",
      ends.last_inbound_at as "lastInboundAt",
      (select count(*)::int from ${m}
        where ${ofCustomer(sql`ends.customer`)} and ${m.direction} = 'inbound'
          and ${m.createdAt} > ends.read_until) as "unreadCount",
      case when ends.last_inbound_at is null then null else (
        select ${m.profileName} from ${m}
        where ${ofCustomer(sql`ends.customer`)} and ${m.direction} = 'inbound' and ${m.profileName} is not null
        ${newest}) end as "customerName",
      (select json_build_object(
          'id', ${m.id}, 'direction', ${m.direction}, 'body', ${m.body}, 'buttonText', ${m.buttonText},
          'mediaCount', jsonb_array_length(${m.media}), 'status', ${m.status}, 'at', ${m.createdAt})
        from ${m} where ${ofCustomer(sql`ends.customer`)} ${newest}) as "last"
    from ends
    order by ends.at desc, ends.customer`;
}

/**
 * `whatsapp.conversations.list`: one row per customer of the connection, most
 * recent activity first, as the caller sees it under row-level security.
 *
 * "Unread" is kept simple: the customer's messages after the last outbound one
 * (answering a conversation is what reads it; there is no per-person marker).
 * The window is the customer's last inbound message + 24 hours
 * (https://www.twilio.com/docs/whatsapp/key-concepts#the-24-hour-window-or-24-hour-session).
 */
export async function listConversations(
  tx: Tx,
  input: { connectionId: string; limit: number },
): Promise<WhatsappConversation[]> {
  // Not visible under RLS (another organization's, or gone): ConnectionNotFoundError.
  await findConnection(tx, input.connectionId);

  const rows = await tx.execute<ConversationRow>(conversationsQuery(input.connectionId, input.limit));

  return rows.map(conversationFromRow);
}

/** A row of the query as the API answers it: bare number, preview, ISO times, the window. */
export function conversationFromRow(row: ConversationRow): WhatsappConversation {
  const lastInbound = row.lastInboundAt === null ? null : new Date(row.lastInboundAt);
  const expires = windowExpiresAt(lastInbound);
  return {
    customer: bareWhatsappAddress(row.customer),
    customerName: row.customerName,
    lastMessage: {
      id: row.last.id,
      direction: row.last.direction,
      body: row.last.body,
      preview: previewOf(row.last),
      status: row.last.status,
      at: new Date(row.last.at).toISOString(),
    },
    unreadCount: row.unreadCount,
    lastInboundAt: lastInbound?.toISOString() ?? null,
    windowExpiresAt: expires?.toISOString() ?? null,
  };
}
