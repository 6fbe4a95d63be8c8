import type { WhatsappConnection } from '@app/contracts';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId } from 'react';
import { inboxPath, navigate, paths } from '../lib/router.ts';
import { type Me, useTRPC } from '../lib/trpc.ts';
import { Link } from '../ui/Link.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { PageHeading } from '../ui/PageHeading.tsx';
import { ConversationList } from './ConversationList.tsx';
import { NewConversation } from './NewConversation.tsx';
import { Thread } from './Thread.tsx';
import { useNow } from './window-state.ts';
import '../conversation/conversation.css';
import './inbox.css';

/** The address segment that opens the New conversation form instead of a thread. */
export const NEW_CONVERSATION = 'new';

/** Inbox: the conversations of each connected number, and a thread to read and answer. */
export default function InboxPage({
  user,
  connectionId,
  customer,
}: {
  user: Me;
  connectionId?: string | undefined;
  customer?: string | undefined;
}) {
  const trpc = useTRPC();
  const connections = useQuery(trpc.whatsapp.connections.list.queryOptions());
  const list = connections.data ?? [];
  const selected = list.find((c) => c.id === connectionId) ?? null;
  const now = useNow();

  // No number in the address (or one that is not ours): the first live one.
  useEffect(() => {
    if (connections.isPending || connections.isError || selected) return;
    const first = list.find((c) => c.disconnectedAt === null) ?? list[0];
    if (first) navigate(inboxPath(first.id), { replace: true });
  }, [connections.isPending, connections.isError, selected, list]);

  return (
    <div className="inbox">
      <p className="breadcrumb">WhatsApp</p>
      <PageHeading>Inbox</PageHeading>
      {connections.isPending ? (
        <p role="status" className="muted">
          Loading numbers…
        </p>
      ) : connections.isError ? (
        <div className="panel">
          <LoadError
            title="Your numbers could not be loaded"
            error={connections.error}
            onRetry={() => void connections.refetch()}
          />
        </div>
      ) : list.length === 0 ? (
        <section className="panel" aria-labelledby="inbox-empty">
          <h2 id="inbox-empty">No WhatsApp number connected yet</h2>
          <p>
            Conversations show here once a number is connected.{' '}
            {user.role === 'member'
              ? 'An owner or admin of your organization can connect one in '
              : 'Connect one in '}
            <Link to={paths.whatsappSettings}>Settings</Link>.
          </p>
        </section>
      ) : selected ? (
        <>
          <NumberPicker connections={list} selected={selected} />
          <div className={`inbox__panes${customer ? ' inbox__panes--thread' : ''}`}>
            <ConversationList
              connectionId={selected.id}
              selectedCustomer={customer}
              canStart={selected.isActive && selected.disconnectedAt === null}
              now={now}
            />
            <div className="inbox__thread">
              {customer === NEW_CONVERSATION ? (
                <NewConversation connection={selected} />
              ) : customer ? (
                <Thread
                  key={`${selected.id}/${customer}`}
                  connection={selected}
                  customer={customer}
                  now={now}
                />
              ) : (
                <p className="inbox__pick muted">Pick a conversation to read it and reply.</p>
              )}
            </div>
          </div>
        </>
      ) : (
        <p role="status" className="muted">
          Opening the first number…
        </p>
      )}
    </div>
  );
}

/** Which number's conversations are shown: a choice only when there are several. */
function NumberPicker({
  connections,
  selected,
}: {
  connections: readonly WhatsappConnection[];
  selected: WhatsappConnection;
}) {
  const id = useId();
  const label = (c: WhatsappConnection) =>
    `${c.friendlyName ? `${c.friendlyName} (${c.whatsappNumber})` : c.whatsappNumber}${
      c.disconnectedAt ? ', disconnected' : c.isActive ? '' : ', sending paused'
    }`;
  if (connections.length === 1) {
    return (
      <p className="inbox__number">
        Conversations on <strong>{label(selected)}</strong>
      </p>
    );
  }
  return (
    <div className="field inbox__number">
      <label htmlFor={id}>Number</label>
      <select id={id} value={selected.id} onChange={(event) => navigate(inboxPath(event.target.value))}>
        {connections.map((c) => (
          <option key={c.id} value={c.id}>
            {label(c)}
          </option>
        ))}
      </select>
    </div>
  );
}
