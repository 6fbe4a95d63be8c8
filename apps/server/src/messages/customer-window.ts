import { WHATSAPP_WINDOW_MS } from '@app/contracts';
import { type Tx, twilioWhatsappMessages } from '@app/db';
import { and, desc, eq, sql } from 'drizzle-orm';
import { DomainError } from '../domain-error.ts';

const m = twilioWhatsappMessages;

/**
 * The customer of a message: its sender when inbound, its recipient when
 * outbound (`whatsapp:+E164`). The same expression as the index
 * idx_twilio_wa_messages_customer (20261201_templates), so lookups by customer use it.
 */
export const customerOf = sql<string>`(case when ${m.direction} = 'inbound' then ${m.fromNumber} else ${m.toNumber} end)`;

/** When `customer` (`whatsapp:+E164`) last wrote to the connection, if ever, as the caller sees it. */
export async function lastInboundAt(tx: Tx, connectionId: string, customer: string): Promise<Date | null> {
  const [row] = await tx
    .select({ createdAt: m.createdAt })
    .from(m)
    .where(
      and(eq(m.connectionId, connectionId), sql`${customerOf} = ${customer}`, eq(m.direction, 'inbound')),
    )
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(1);
  return row?.createdAt ?? null;
}

/**
 * When the customer's 24-hour window closes, or null when it is closed
 * (never opened, or their last message is 24 hours old).
 * https://www.twilio.com/docs/whatsapp/key-concepts#the-24-hour-window-or-24-hour-session
 */
export function windowExpiresAt(lastInbound: Date | null, now: Date = new Date()): Date | null {
  if (lastInbound === null) return null;
  const expires = new Date(lastInbound.getTime() + WHATSAPP_WINDOW_MS);
  return expires > now ? expires : null;
}

/**
 * Free text to a customer whose window is closed: Twilio would accept it and
 * WhatsApp fail it with 63016 (https://www.twilio.com/docs/api/errors/63016),
 * so it is refused before anything is sent.
 */
export class CustomerWindowClosedError extends DomainError {
  readonly kind = 'unmet_condition';

  constructor(customerE164: string, lastInbound: Date | null) {
    super(
      lastInbound === null
        ? `${customerE164} has never written to this number, so WhatsApp only delivers an approved template. Choose a template to start the conversation.`
        : `${customerE164} last wrote more than 24 hours ago, so WhatsApp only delivers an approved template until they write again. Choose a template to send.`,
      { field: 'body' },
    );
  }
}
