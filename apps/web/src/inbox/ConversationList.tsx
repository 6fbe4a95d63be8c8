import { inboxPath } from '../lib/router.ts';
import { Link } from '../ui/Link.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { type Conversation, useConversations } from './queries.ts';
import { windowState } from './window-state.ts';

/** One number's conversations, newest first: who, their last message, unread messages, the window. */
export function ConversationList({
  connectionId,
  selectedCustomer,
  canStart,
  now,
}: {
  connectionId: string;
  selectedCustomer: string | undefined;
  /** Sending is possible from this number (active, not disconnected). */
  canStart: boolean;
  now: number;
}) {
  const conversations = useConversations(connectionId);
  const rows = conversations.data ?? [];
  const unread = rows.filter((c) => c.unreadCount > 0).length;
  return (
    <section className="inbox__list" aria-labelledby="conversations-title">
      <div className="inbox__list-header">
        <h2 id="conversations-title">Conversations</h2>
        {canStart && (
          <Link
            to={inboxPath(connectionId, 'new')}
            className="button"
            aria-current={selectedCustomer === 'new' ? 'page' : undefined}
          >
            New conversation
          </Link>
        )}
      </div>
      {conversations.isPending ? (
        <p role="status" className="muted">
          Loading conversations…
        </p>
      ) : conversations.isError ? (
        <LoadError
          title="Conversations could not be loaded"
          error={conversations.error}
          onRetry={() => void conversations.refetch()}
        />
      ) : rows.length === 0 ? (
        <p className="muted">
          No conversations yet. When a customer writes to this number it shows here
          {canStart ? '; to write first, start a new conversation with an approved template.' : '.'}
        </p>
      ) : (
        <>
          <p role="status" className="visually-hidden">
            {unread === 0
              ? 'No unread messages.'
              : `${unread} conversation${unread === 1 ? '' : 's'} with unread messages.`}
          </p>
          <ul className="conversation-rows">
            {rows.map((row) => (
              <ConversationRow
                key={row.customer}
                connectionId={connectionId}
                row={row}
                selected={row.customer === selectedCustomer}
                now={now}
              />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function ConversationRow({
  connectionId,
  row,
  selected,
  now,
}: {
  connectionId: string;
  row: Conversation;
  selected: boolean;
  now: number;
}) {
  const number = row.customer;
  const last = row.lastMessage;
  const state = windowState(row.windowExpiresAt, row.lastInboundAt, now);
  const preview = `${last.direction === 'outbound' ? 'You: ' : ''}${last.preview}`;
  return (
    <li>
      <Link
        to={inboxPath(connectionId, number)}
        className={`conversation-row${selected ? ' conversation-row--selected' : ''}`}
        aria-current={selected ? 'page' : undefined}
      >
        <span className="conversation-row__top">
          <span className="conversation-row__who">{row.customerName ?? number}</span>
          <time dateTime={last.at} className="conversation-row__time">
            {shortTime(last.at, now)}
          </time>
        </span>
        {row.customerName && <span className="conversation-row__number">{number}</span>}
        <span className="conversation-row__preview">{preview}</span>
        <span className="conversation-row__badges">
          {row.unreadCount > 0 && <span className="badge badge--unread">{row.unreadCount} unread</span>}
          <span className={`badge ${state.open ? 'badge--processed' : 'badge--muted'}`}>{state.short}</span>
        </span>
      </Link>
    </li>
  );
}

const timeOfDay = new Intl.DateTimeFormat(undefined, { timeStyle: 'short' });
const dayOfYear = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

/** A list row's time, short: the time today, else the day. */
function shortTime(iso: string, now: number): string {
  const at = new Date(iso);
  return at.toDateString() === new Date(now).toDateString() ? timeOfDay.format(at) : dayOfYear.format(at);
}
