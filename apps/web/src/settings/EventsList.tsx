import {
  type EventOutcome,
  eventOutcomes,
  type WebhookEvent,
  type WebhookEventSource,
  type WebhookEventType,
  webhookEventSources,
  webhookEventTypes,
} from '@app/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { messageOf } from '../lib/errors.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { DateTime } from '../ui/DateTime.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { outcomeFilterLabels, outcomeLabels, sourceLabels, typeLabels } from './delivery-words.ts';

const POLL_MS = 3_000;
const PAGE = 20;

const badgeClass: Record<EventOutcome, string> = {
  applied: 'badge--processed',
  pending: 'badge--pending',
  retrying: 'badge--pending',
  failed: 'badge--failed',
};

interface Filters {
  outcome?: EventOutcome;
  source?: WebhookEventSource;
  eventType?: WebhookEventType;
}

/** Newest first, ties by id, as the server orders them. */
function newestFirst(a: WebhookEvent, b: WebhookEvent): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : -1;
}

/**
 * The connection's stored webhook events with their outcome, newest first: filtered,
 * paged ("Show older"), polled so new ones appear without a reload, and a failed one
 * can be sent back to the worker (Retry). Owners and admins only (the server says so).
 */
export function EventsList({
  connectionId,
  whatsappNumber,
}: {
  connectionId: string;
  whatsappNumber: string;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [filters, setFilters] = useState<Filters>({});
  // Pages loaded with "Show older", kept while the first page is polled: an event
  // seen once stays in the list (no gap when new ones push the first page on).
  const [older, setOlder] = useState<WebhookEvent[]>([]);
  const [olderState, setOlderState] = useState<'idle' | 'loading' | 'end' | { error: unknown }>('idle');
  const input = { connectionId, limit: PAGE, ...filters };
  const events = useQuery(trpc.whatsapp.events.list.queryOptions(input, { refetchInterval: POLL_MS }));
  const [announcement, setAnnouncement] = useState('');
  // What the last Retry did; focus moves there (a retried row may leave a filtered list).
  const [retryNote, setRetryNote] = useState<{ tone: 'success' | 'error'; text: string } | null>(null);
  const retryNoteRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (retryNote) retryNoteRef.current?.focus();
  }, [retryNote]);
  const newestSeen = useRef<string | null | undefined>(undefined);
  const filtered =
    filters.outcome !== undefined || filters.source !== undefined || filters.eventType !== undefined;

  // Announce arrivals (not the first load, nor a change of filter): "2 new webhook events".
  useEffect(() => {
    const list = events.data;
    if (!list) return;
    const newest = list[0]?.id ?? null;
    if (newestSeen.current !== undefined && newest !== newestSeen.current) {
      const index = list.findIndex((e) => e.id === newestSeen.current);
      const count = index === -1 ? list.length : index;
      if (count > 0) setAnnouncement(`${count} new webhook ${count === 1 ? 'event' : 'events'}.`);
    }
    newestSeen.current = newest;
  }, [events.data]);

  function changeFilters(next: Filters) {
    newestSeen.current = undefined;
    setOlder([]);
    setOlderState('idle');
    setAnnouncement('');
    setRetryNote(null);
    setFilters(next);
  }

  const first = events.data ?? [];
  const firstIds = new Set(first.map((e) => e.id));
  const shown = [...first, ...older.filter((e) => !firstIds.has(e.id))].sort(newestFirst);
  const mayHaveOlder = olderState !== 'end' && (older.length > 0 || first.length === PAGE);

  async function showOlder() {
    const last = shown.at(-1);
    if (!last) return;
    setOlderState('loading');
    try {
      // One more than shown: a full page means there may be more.
      const page = await queryClient.fetchQuery(
        trpc.whatsapp.events.list.queryOptions({ ...input, limit: PAGE, before: last.id }),
      );
      setOlder((kept) => [...kept, ...page]);
      setOlderState(page.length < PAGE ? 'end' : 'idle');
      setAnnouncement(
        page.length === 0
          ? 'No older events.'
          : `${page.length} older ${page.length === 1 ? 'event' : 'events'} shown.`,
      );
    } catch (error) {
      setOlderState({ error });
    }
  }

  const titleId = `events-${connectionId}`;
  const filterIds = { outcome: useId(), source: useId(), type: useId() };
  return (
    <section className="events" aria-labelledby={titleId}>
      <h4 id={titleId}>Recent webhook events</h4>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      <fieldset className="events__filters">
        <legend className="visually-hidden">Show only</legend>
        <div className="events__filter">
          <label htmlFor={filterIds.outcome}>Outcome</label>
          <select
            id={filterIds.outcome}
            value={filters.outcome ?? ''}
            onChange={(e) =>
              changeFilters({
                ...filters,
                outcome: (e.target.value || undefined) as EventOutcome | undefined,
              })
            }
          >
            <option value="">Any outcome</option>
            {eventOutcomes.map((o) => (
              <option key={o} value={o}>
                {outcomeFilterLabels[o]}
              </option>
            ))}
          </select>
        </div>
        <div className="events__filter">
          <label htmlFor={filterIds.source}>Source</label>
          <select
            id={filterIds.source}
            value={filters.source ?? ''}
            onChange={(e) =>
              changeFilters({
                ...filters,
                source: (e.target.value || undefined) as WebhookEventSource | undefined,
              })
            }
          >
            <option value="">Any source</option>
            {webhookEventSources.map((s) => (
              <option key={s} value={s}>
                {sourceLabels[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="events__filter">
          <label htmlFor={filterIds.type}>Type</label>
          <select
            id={filterIds.type}
            value={filters.eventType ?? ''}
            onChange={(e) =>
              changeFilters({
                ...filters,
                eventType: (e.target.value || undefined) as WebhookEventType | undefined,
              })
            }
          >
            <option value="">Any type</option>
            {webhookEventTypes.map((t) => (
              <option key={t} value={t}>
                {typeLabels[t]}
              </option>
            ))}
          </select>
        </div>
        {filtered && (
          <button type="button" className="button button--quiet" onClick={() => changeFilters({})}>
            Clear filters
          </button>
        )}
      </fieldset>
      <Alert tone={retryNote?.tone ?? 'success'} alertRef={retryNoteRef}>
        {retryNote?.text}
      </Alert>
      {events.isPending ? (
        <p className="muted">Loading events…</p>
      ) : events.isError ? (
        <LoadError
          title="Events could not be loaded"
          error={events.error}
          onRetry={() => void events.refetch()}
        />
      ) : shown.length === 0 ? (
        filtered ? (
          <p className="muted">No events match these filters.</p>
        ) : (
          <p className="muted">
            No events yet. When someone messages {whatsappNumber}, or Twilio reports a delivery, it shows here
            within a few seconds.
          </p>
        )
      ) : (
        <>
          <ul className="events__list">
            {shown.map((event) => (
              <EventRow key={event.id} event={event} connectionId={connectionId} onRetried={setRetryNote} />
            ))}
          </ul>
          {typeof olderState === 'object' && (
            <LoadError title="Older events could not be loaded" error={olderState.error} />
          )}
          {mayHaveOlder ? (
            <button
              type="button"
              className="button events__older"
              disabled={olderState === 'loading'}
              onClick={() => void showOlder()}
            >
              {olderState === 'loading' ? 'Loading older events…' : 'Show older'}
            </button>
          ) : (
            older.length > 0 && <p className="muted">No older events.</p>
          )}
        </>
      )}
    </section>
  );
}

function EventRow({
  event,
  connectionId,
  onRetried,
}: {
  event: WebhookEvent;
  connectionId: string;
  onRetried: (note: { tone: 'success' | 'error'; text: string }) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [retried, setRetried] = useState<WebhookEvent | null>(null);
  const retry = useMutation(
    trpc.whatsapp.events.retry.mutationOptions({
      onSuccess: async (updated) => {
        setRetried(updated);
        onRetried({
          tone: 'success',
          text: `${updated.messageSid} was sent back to be applied; its outcome shows in the list within a few seconds.`,
        });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.whatsapp.events.list.pathKey() }),
          queryClient.invalidateQueries({
            queryKey: trpc.whatsapp.events.summary.queryKey({ connectionId }),
          }),
        ]);
      },
      onError: (error) => onRetried({ tone: 'error', text: `${event.messageSid}: ${messageOf(error)}` }),
    }),
  );
  // A row from an older page is not polled: the retry's answer is newer than it.
  const shown = retried && retried.id === event.id && event.outcome === 'failed' ? retried : event;
  const what =
    shown.eventType === 'message' ? 'Inbound message' : `Status: ${shown.messageStatus ?? 'unknown'}`;
  const attempts = `${shown.attempts} ${shown.attempts === 1 ? 'attempt' : 'attempts'}`;
  return (
    <li className="event">
      <span className={`badge ${badgeClass[shown.outcome]}`}>{outcomeLabels[shown.outcome]}</span>
      <span className="event__what">{what}</span>
      {shown.source === 'reconciliation' && (
        // No webhook brought it: it was read back from Twilio's message log.
        <span className="badge badge--muted">Read back from Twilio</span>
      )}
      <code className="event__sid">{shown.messageSid}</code>
      <DateTime className="event__time" iso={shown.createdAt} />
      {shown.outcome === 'retrying' && shown.nextAttemptAt && (
        <span className="event__detail">
          Tried {attempts}; next try at <DateTime iso={shown.nextAttemptAt} />.
        </span>
      )}
      {shown.errorMessage && shown.outcome !== 'applied' && (
        <span className="event__error">
          {shown.outcome === 'failed' ? 'Failed' : 'Last error'}: {shown.errorMessage} (after {attempts})
        </span>
      )}
      {shown.retriedAt && (
        <span className="event__detail">
          Retried by {shown.retriedBy ?? 'a former member'} on <DateTime iso={shown.retriedAt} />.
        </span>
      )}
      {shown.outcome === 'failed' && (
        <span className="event__actions">
          <button
            type="button"
            className="button"
            disabled={retry.isPending}
            aria-label={`Retry ${what.toLowerCase()} ${shown.messageSid}`}
            onClick={() => retry.mutate({ id: shown.id })}
          >
            {retry.isPending ? 'Retrying…' : 'Retry'}
          </button>
        </span>
      )}
    </li>
  );
}
