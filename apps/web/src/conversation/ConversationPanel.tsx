import {
  MESSAGE_BODY_MAX,
  type SendMessageInput,
  sendMessageInput,
  type WhatsappMessage,
} from '@app/contracts';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useRef, useState } from 'react';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { DateTime } from '../ui/DateTime.tsx';
import { Field } from '../ui/Field.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { displayAddress, lastCustomer, statusTicks } from './message-status.ts';
import './conversation.css';

/** New messages and status ticks show within this long, without a reload. */
const POLL_MS = 2_000;
const PAGE_SIZE = 30;
const fields = ['to', 'body', 'mediaUrls'] as const;

/** One connection's conversation (oldest at the top, like a chat) and a form to reply. */
export function ConversationPanel({
  connectionId,
  whatsappNumber,
  isActive,
  disconnected = false,
}: {
  connectionId: string;
  whatsappNumber: string;
  isActive: boolean;
  /** Disconnected: the history is shown, nothing can be sent. */
  disconnected?: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const titleId = useId();
  const pages = useInfiniteQuery(
    trpc.whatsapp.messages.list.infiniteQueryOptions(
      { connectionId, limit: PAGE_SIZE },
      { getNextPageParam: (page) => page.nextCursor, refetchInterval: POLL_MS },
    ),
  );
  const newestFirst = pages.data?.pages.flatMap((p) => p.items) ?? [];
  const messages = [...newestFirst].reverse();

  // Keep the newest message in view as messages arrive.
  const logRef = useRef<HTMLOListElement>(null);
  const newestId = newestFirst[0]?.id;
  useEffect(() => {
    if (newestId && logRef.current) logRef.current.scrollTop = logRef.current.scrollHeight;
  }, [newestId]);

  // This conversation only: the other cards' conversations are not affected by a send.
  const refresh = () =>
    queryClient.invalidateQueries({
      queryKey: trpc.whatsapp.messages.list.infiniteQueryKey({ connectionId, limit: PAGE_SIZE }),
    });

  return (
    <section className="conversation" aria-labelledby={titleId}>
      <h4 id={titleId}>Conversation on {whatsappNumber}</h4>
      {pages.isPending ? (
        <p className="muted">Loading messages…</p>
      ) : pages.isError ? (
        <LoadError title="Messages could not be loaded" error={pages.error} />
      ) : messages.length === 0 ? (
        <p className="muted">
          No messages yet. When a customer writes to {whatsappNumber} it shows here; WhatsApp lets you reply
          within 24 hours of their last message.
        </p>
      ) : (
        // Focusable so keyboard users can scroll the history (it scrolls on its own).
        // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must take focus
        <ol className="conversation__log" ref={logRef} aria-label="Messages, oldest first" tabIndex={0}>
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
          {messages.map((message) => (
            <MessageBubble key={message.id} message={message} />
          ))}
        </ol>
      )}
      {disconnected ? (
        <p className="muted">
          This number is disconnected; its history stays here. An owner or admin can connect it again to send
          and receive.
        </p>
      ) : isActive ? (
        <SendForm
          connectionId={connectionId}
          suggestedTo={lastCustomer(newestFirst)}
          onSent={() => void refresh()}
        />
      ) : (
        <p className="muted">
          Sending from this number is paused: an owner or admin can resume it with "Resume sending" above.
          Customers' messages still arrive here.
        </p>
      )}
    </section>
  );
}

function MessageBubble({ message }: { message: WhatsappMessage }) {
  const status = statusTicks(message);
  const outbound = message.direction === 'outbound';
  const from = displayAddress(message.from);
  const who = outbound
    ? `To ${displayAddress(message.to)}`
    : message.profileName
      ? `${message.profileName} (${from})`
      : from;
  return (
    <li
      className={`bubble bubble--${message.direction}${status.tone === 'failed' ? ' bubble--failed' : ''}`}
      data-status={message.status}
    >
      <p className="bubble__who">{who}</p>
      {message.body && <p className="bubble__body">{message.body}</p>}
      {message.media.length > 0 && (
        <ul className="bubble__media">
          {message.media.map((m) => (
            <li key={m.url}>
              <a href={m.url} target="_blank" rel="noreferrer noopener">
                {m.contentType ?? 'Attachment'}
              </a>
            </li>
          ))}
        </ul>
      )}
      <p className="bubble__meta">
        <DateTime iso={message.createdAt} />
        {outbound && (
          <span className={`ticks ticks--${status.tone}`} title={status.label}>
            <span aria-hidden="true">{status.ticks} </span>
            {status.label}
          </span>
        )}
      </p>
      {message.errorMessage && <p className="bubble__error">{message.errorMessage}</p>}
    </li>
  );
}

function SendForm({
  connectionId,
  suggestedTo,
  onSent,
}: {
  connectionId: string;
  suggestedTo: string | null;
  onSent: () => void;
}) {
  const trpc = useTRPC();
  const form = useFieldErrors(fields);
  const formRef = useRef<HTMLFormElement>(null);
  // The recipient is filled in once, from the first customer the conversation shows;
  // a later message from someone else never swaps it under the person writing.
  const [to, setTo] = useState('');
  const filledFromSuggestion = useRef(false);
  useEffect(() => {
    if (filledFromSuggestion.current || !suggestedTo) return;
    filledFromSuggestion.current = true;
    setTo((current) => current || suggestedTo);
  }, [suggestedTo]);
  const send = useMutation(
    trpc.whatsapp.messages.send.mutationOptions({
      onSuccess: () => {
        const body = formRef.current?.elements.namedItem('body');
        if (body instanceof HTMLTextAreaElement) body.value = '';
        const media = formRef.current?.elements.namedItem('mediaUrls');
        if (media instanceof HTMLInputElement) media.value = '';
        onSent();
      },
      onError: (error) => {
        form.showServerError(error);
        // A refused send is kept in the conversation, failed, with its reason.
        onSent();
      },
    }),
  );
  const formError = form.alertMessageOf(send.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const value = submittedText(event);
    const mediaUrl = value('mediaUrls').trim();
    const raw: SendMessageInput = {
      connectionId,
      to: value('to'),
      body: value('body'),
      mediaUrls: mediaUrl ? [mediaUrl] : [],
    };
    const input = form.validate(sendMessageInput, raw);
    // The server normalizes again; it receives what the person typed, checked.
    if (input) send.mutate(raw);
  }

  return (
    <form ref={formRef} noValidate onSubmit={onSubmit} className="form" aria-busy={send.isPending}>
      <Alert tone="error" alertRef={form.alertRef} title="The message was not sent">
        {formError}
      </Alert>
      <fieldset disabled={send.isPending} className="form__fields">
        <legend className="visually-hidden">Reply</legend>
        <Field
          label="To"
          {...form.field('to')}
          value={to}
          onChange={(event) => setTo(event.currentTarget.value)}
          inputMode="tel"
          autoComplete="off"
          placeholder="whatsapp:+14155551234"
        />
        <Field label="Message" multiline maxLength={MESSAGE_BODY_MAX} {...form.field('body')} />
        <Field
          label="Media URL (optional)"
          type="url"
          hint="A public https:// link to an image, video, audio file or PDF."
          {...form.field('mediaUrls')}
        />
      </fieldset>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={send.isPending}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
      </div>
    </form>
  );
}
