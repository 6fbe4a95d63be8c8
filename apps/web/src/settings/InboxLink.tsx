import type { WhatsappConnection } from '@app/contracts';
import { inboxPath } from '../lib/router.ts';
import { Link } from '../ui/Link.tsx';

/** The card's way to its number's conversations, which live in the inbox (one card stays short). */
export function InboxLink({ connection }: { connection: WhatsappConnection }) {
  return (
    <p className="card__inbox">
      <Link to={inboxPath(connection.id)}>Open the conversations on {connection.whatsappNumber}</Link>
      <span className="muted">
        {' '}
        in the inbox
        {connection.disconnectedAt ? ' (kept, read-only)' : ''}.
      </span>
    </p>
  );
}
