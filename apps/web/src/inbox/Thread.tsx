import type { WhatsappConnection, WhatsappMessage } from '@app/contracts';
import { useInfiniteQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { inboxPath } from '../lib/router.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Link } from '../ui/Link.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { Composer } from './Composer.tsx';
import { useFocusOnOpen } from './focus-on-open.ts';
import { MessageBubble } from './MessageBubble.tsx';
import { POLL_MS, useConversations } from './queries.ts';
import { windowState } from './window-state.ts';

const PAGE_SIZE = 30;

/** One customer's conversation on one number: the messages (oldest at the top), the window, a reply. */
export function Thread({
  connection,
  customer,
  now,
}: {
  connection: WhatsappConnection;
  /** E.164 */
  customer: string;
  now: number;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const titleId = useId();
  const headingRef = useRef<HTMLHeadingElement>(null);
  useFocusOnOpen(headingRef);
  const connectionId = connection.id;
  const listInput = { connectionId, customer, limit: PAGE_SIZE };
  const pages = useInfiniteQuery(
    trpc.whatsapp.messages.list.infiniteQueryOptions(listInput, {
      getNextPageParam: (page) => page.nextCursor,
      refetchInterval: POLL_MS,
    }),
  );
  const conversations = useConversations(connectionId);
  const row = conversations.data?.find((c) => c.customer === customer);
  const newestFirst = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const messages = [...newestFirst].reverse();
  const lastInbound = newestFirst.find((m) => m.direction === 'inbound')?.createdAt ?? null;
  const windowNow = windowState(row?.windowExpiresAt ?? null, row?.lastInboundAt ?? lastInbound, now);
  const name = row?.customerName ?? newestFirst.find((m) => m.profileName)?.profileName ?? null;

  // Keep the newest message in view as messages arrive.
  const logRef = useRef<HTMLOListElement>(null);
  const newestId = newestFirst[0]?.id;
  useEffect(() => {
    if (newestId && logRef.current) logRef.current.scrollTop = logRef.current.scrollHeight;
  }, [newestId]);

  const [templateRequest, setTemplateRequest] = useState(0);
  const loaded = !pages.isPending && !conversations.isPending;
  const windowChange = useWindowChange(loaded ? windowNow.open : null);
  const disconnected = connection.disconnectedAt !== null;

  const refresh = () => {
    void queryClient.invalidateQueries({
      queryKey: trpc.whatsapp.messages.list.infiniteQueryKey(listInput),
    });
    void queryClient.invalidateQueries({
      queryKey: trpc.whatsapp.conversations.list.queryKey({ connectionId }),
    });
  };

  return (
    // Named by the customer's name and number, so either finds it.
    <section className="thread" aria-labelledby={name ? `${titleId} ${titleId}-number` : titleId}>
      <p className="thread__back">
        <Link to={inboxPath(connectionId)}>
          <span aria-hidden="true">← </span>All conversations
        </Link>
      </p>
      <header className="thread__header">
        <h2 id={titleId} tabIndex={-1} ref={headingRef}>
          {name ?? customer}
        </h2>
        {name && (
          <p className="thread__number" id={`${titleId}-number`}>
            {customer}
          </p>
        )}
      </header>
      <p className={`window-state window-state--${windowNow.open ? 'open' : 'closed'}`}>
        {windowNow.sentence}
      </p>
      {/* Announced when the window opens or closes while the thread is open (not every minute). */}
      <p role="status" className="visually-hidden">
        {windowChange}
      </p>
      {pages.isPending ? (
        <p role="status" className="muted">
          Loading messages…
        </p>
      ) : pages.isError ? (
        <LoadError
          title="Messages could not be loaded"
          error={pages.error}
          onRetry={() => void pages.refetch()}
        />
      ) : messages.length === 0 ? (
        <p className="muted">
          No messages with {customer} yet on {connection.whatsappNumber}.
        </p>
      ) : (
        <ol
          className="conversation__log"
          ref={logRef}
          aria-label="Messages, oldest first"
          // Focusable so keyboard users can scroll the history (it scrolls on its own).
          // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus
          tabIndex={0}
          aria-live="polite"
          aria-relevant="additions"
        >
          {pages.hasNextPage && (
            <li className="conversation__older">
              <button
                type="button"
                className="button button--quiet"
                disabled={pages.isFetchingNextPage}
                onClick={() => void pages.fetchNextPage()}
              >
                {pages.isFetchingNextPage ? 'Loading…' : 'Show older messages'}
              </button>
            </li>
          )}
          {messages.map((message: WhatsappMessage) => (
            <MessageBubble
              key={message.id}
              message={message}
              onSendAsTemplate={
                connection.isActive && !disconnected ? () => setTemplateRequest((n) => n + 1) : undefined
              }
            />
          ))}
        </ol>
      )}
      {disconnected ? (
        <p className="muted">
          This number is disconnected; its history stays here. An owner or admin can connect it again in
          Settings to send and receive.
        </p>
      ) : !loaded ? null : connection.isActive ? (
        <Composer
          key={customer}
          connectionId={connectionId}
          customer={customer}
          windowOpen={windowNow.open}
          templateRequest={templateRequest}
          onSent={refresh}
        />
      ) : (
        <p className="muted">
          Sending from this number is paused: an owner or admin can resume it with "Resume sending" in
          Settings. Customers' messages still arrive here.
        </p>
      )}
    </section>
  );
}

/** A sentence when the window flips while the thread is open; empty until then. */
function useWindowChange(open: boolean | null): string {
  const previous = useRef<boolean | null>(null);
  const [change, setChange] = useState('');
  useEffect(() => {
    if (open === null) return;
    if (previous.current !== null && previous.current !== open) {
      setChange(
        open
          ? 'The customer wrote: you can reply freely for 24 hours.'
          : 'The 24-hour window just closed: send an approved template.',
      );
    }
    previous.current = open;
  }, [open]);
  return change;
}
