import { bareWhatsappAddress, type WhatsappConversation } from '@app/contracts';
import { type Tx, twilioWhatsappMessages } from '@app/db';
import { desc, eq, sql } from 'drizzle-orm';
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

/**
 * `whatsapp.conversations.list`: one row per customer of the connection, most
 * recent activity first, as the caller sees it under row-level security.
 *
 * "Unread" is kept simple: the customer's messages after the last outbound one
 * (answering a conversation is what reads it; there is no per-person marker).
 * The window is the customer's last inbound message + 24 hours
 * (https://www.twilio.com/docs/whatsapp/key-concepts#the-24-hour-window-or-24-hour-session).
 *
 * One pass groups the connection's messages by customer; each shown
 * customer's latest message is then read from idx_twilio_wa_messages_customer.
 */
export async function listConversations(
  tx: Tx,
  input: { connectionId: string; limit: number },
): Promise<WhatsappConversation[]> {
  // Not visible under RLS (another organization's, or gone): ConnectionNotFoundError.
  await findConnection(tx, input.connectionId);

  const customers = tx
    .select({
      customer: sql<string>`${customerOf}`.as('customer'),
      lastAt: sql<Date>`max(${m.createdAt})`.as('last_at'),
      lastInboundAt: sql<Date | null>`max(${m.createdAt}) filter (where ${m.direction} = 'inbound')`.as(
        'last_inbound_at',
      ),
      lastOutboundAt: sql<Date | null>`max(${m.createdAt}) filter (where ${m.direction} = 'outbound')`.as(
        'last_outbound_at',
      ),
    })
    .from(m)
    .where(eq(m.connectionId, input.connectionId))
    .groupBy(customerOf)
    .as('customers');

  const rows = await tx
    .select({
      customer: customers.customer,
      lastInboundAt: sql<string | null>`${customers.lastInboundAt}`,
      unreadCount: sql<number>`(
        select count(*)::int from ${m}
        where ${m.connectionId} = ${input.connectionId}
          and ${customerOf} = ${customers.customer}
          and ${m.direction} = 'inbound'
          and ${m.createdAt} > coalesce(${customers.lastOutboundAt}, '-infinity'::timestamptz)
      )`,
      customerName: sql<string | null>`(
        select ${m.profileName} from ${m}
        where ${m.connectionId} = ${input.connectionId}
          and ${customerOf} = ${customers.customer}
          and ${m.direction} = 'inbound' and ${m.profileName} is not null
        order by ${m.createdAt} desc, ${m.id} desc limit 1
      )`,
      last: sql<{
        id: string;
        direction: 'inbound' | 'outbound';
        body: string | null;
        buttonText: string | null;
        mediaCount: number;
        status: WhatsappConversation['lastMessage']['status'];
        at: string;
      }>`(
        select json_build_object(
          'id', ${m.id}, 'direction', ${m.direction}, 'body', ${m.body}, 'buttonText', ${m.buttonText},
          'mediaCount', jsonb_array_length(${m.media}), 'status', ${m.status}, 'at', ${m.createdAt})
        from ${m}
        where ${m.connectionId} = ${input.connectionId} and ${customerOf} = ${customers.customer}
        order by ${m.createdAt} desc, ${m.id} desc limit 1
      )`,
    })
    .from(customers)
    .orderBy(desc(customers.lastAt), customers.customer)
    .limit(input.limit);

  return rows.map((row) => {
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
  });
}
