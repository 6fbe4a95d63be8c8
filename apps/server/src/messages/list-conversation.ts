import { type WhatsappMessagePage, whatsappAddress } from '@app/contracts';
import { type Tx, twilioWhatsappMessages } from '@app/db';
import { and, desc, eq, getTableColumns, sql } from 'drizzle-orm';
import { findConnection } from '../connections/store.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { customerOf } from './customer-window.ts';
import { toMessageOutput } from './message-output.ts';

const m = twilioWhatsappMessages;

/**
 * One page of a connection's conversation, newest first, as the caller sees it
 * under row-level security. Keyset pagination on (created_at, id): a page starts
 * strictly after the last row of the previous one, so messages arriving while
 * someone scrolls back never shift, repeat or hide older ones.
 */
export async function listConversation(
  tx: Tx,
  input: {
    connectionId: string;
    /** Only this customer's messages (E.164). */
    customer?: string | undefined;
    cursor?: string | null | undefined;
    limit: number;
  },
): Promise<WhatsappMessagePage> {
  const after = input.cursor ? decodeCursor(input.cursor) : null;
  // Not visible under RLS (another organization's, or gone): ConnectionNotFoundError.
  await findConnection(tx, input.connectionId);

  const rows = await tx
    .select({
      ...getTableColumns(m),
      position: sql<string>`to_char(${m.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(m)
    .where(
      and(
        eq(m.connectionId, input.connectionId),
        input.customer === undefined ? undefined : sql`${customerOf} = ${whatsappAddress(input.customer)}`,
        after
          ? sql`(${m.createdAt}, ${m.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`
          : undefined,
      ),
    )
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(input.limit + 1);

  const page = rows.slice(0, input.limit);
  const last = page.at(-1);
  return {
    items: page.map(({ position: _, ...row }) => toMessageOutput(row)),
    nextCursor:
      rows.length > input.limit && last ? encodeCursor({ createdAt: last.position, id: last.id }) : null,
  };
}
