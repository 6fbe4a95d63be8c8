import { sql } from 'drizzle-orm';
import { preparedStatement, type Queryable } from './prepared.ts';
import { twilioWhatsappConnections as connections, type TwilioWhatsappConnection } from './schema.ts';

/** What the webhook intake needs of a connection to check a delivery's signature. */
export type ConnectionCredentials = Pick<
  TwilioWhatsappConnection,
  'id' | 'organizationId' | 'twilioAccountSid' | 'twilioAuthTokenHash'
>;

const activeCredentials = preparedStatement<{ id: string }, ConnectionCredentials>(sql`
  select ${connections.id}, ${connections.organizationId} as "organizationId",
         ${connections.twilioAccountSid} as "twilioAccountSid",
         ${connections.twilioAuthTokenHash} as "twilioAuthTokenHash"
  from ${connections}
  where ${connections.id} = ${sql.placeholder('id')} and ${connections.isActive}
`);

/** The active connection's id, organization and encrypted token (read as service_role), or undefined. */
export async function findActiveConnectionCredentials(
  on: Queryable,
  id: string,
): Promise<ConnectionCredentials | undefined> {
  const [row] = await activeCredentials(on, { id });
  return row;
}
