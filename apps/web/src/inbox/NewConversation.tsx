import { bareWhatsappAddress, type WhatsappConnection } from '@app/contracts';
import { useQueryClient } from '@tanstack/react-query';
import { useId, useRef } from 'react';
import { inboxPath, navigate } from '../lib/router.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Link } from '../ui/Link.tsx';
import { TemplateComposer } from './Composer.tsx';
import { useFocusOnOpen } from './focus-on-open.ts';

/**
 * Writing first to a customer: WhatsApp allows only an approved template to start a
 * conversation (free text fails with 63016). Once sent, the thread opens.
 */
export function NewConversation({ connection }: { connection: WhatsappConnection }) {
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnOpen(headingRef);
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return (
    <section className="thread" aria-labelledby={titleId}>
      <p className="thread__back">
        <Link to={inboxPath(connection.id)}>
          <span aria-hidden="true">← </span>All conversations
        </Link>
      </p>
      <h2 id={titleId} tabIndex={-1} ref={headingRef}>
        New conversation
      </h2>
      <p className="muted">
        From {connection.whatsappNumber}. WhatsApp lets a business write first only with a template it has
        approved; once the customer answers, you can reply freely for 24 hours.
      </p>
      {connection.isActive && connection.disconnectedAt === null ? (
        <TemplateComposer
          connectionId={connection.id}
          onSent={(to, outcome) => {
            if (outcome !== 'sent') return;
            void queryClient.invalidateQueries({
              queryKey: trpc.whatsapp.conversations.list.queryKey({ connectionId: connection.id }),
            });
            navigate(inboxPath(connection.id, bareWhatsappAddress(to)));
          }}
        />
      ) : (
        <p className="muted">
          Sending from this number is paused or disconnected: nothing can be sent from it.
        </p>
      )}
    </section>
  );
}
