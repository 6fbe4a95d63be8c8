import { sql } from 'drizzle-orm';
import { preparedStatement, type Queryable } from './prepared.ts';
import { twilioWhatsappConnections as connections, type TwilioWhatsappConnection } from './schema.ts';

/** What the webhook intake needs of a connection to check a delivery's signature. */
export type ConnectionCredentials = Pick<
  TwilioWhatsappConnection,
  'id' | 'organizationId' | 'twilioAccountSid'
> & { twilioAuthTokenHash: string };

// Active or paused alike: pausing stops sending only, so a paused connection's
// customers' messages and status callbacks are still verified and stored (Twilio
// does not retry a 404: refusing them would lose them). A disconnected connection
// has no token left to verify a signature with: it is not found (404).
const connectedCredentials = preparedStatement<{ id: string }, ConnectionCredentials>(sql`
  select ${connections.id}, ${connections.organizationId} as "organizationId",
         ${connections.twilioAccountSid} as "twilioAccountSid",
         ${connections.twilioAuthTokenHash} as "twilioAuthTokenHash"
  from ${connections}
  where ${connections.id} = ${sql.placeholder('id')}
    and ${connections.disconnectedAt} is null and ${connections.twilioAuthTokenHash} is not null
`);

/**
 * The connection's id, organization and encrypted token (read as service_role), whether
 * sending is active or paused; undefined when there is no such connection or it is disconnected.
 */
export async function findConnectedConnectionCredentials(
  on: Queryable,
  id: string,
): Promise<ConnectionCredentials | undefined> {
  const [row] = await connectedCredentials(on, { id });
  return row;
}
