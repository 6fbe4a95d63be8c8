import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '../lib/trpc.ts';
import { DateTime } from '../ui/DateTime.tsx';
import { LoadError } from '../ui/LoadError.tsx';

const POLL_MS = 3_000;

const statusLabels = { pending: 'Pending', processed: 'Processed', failed: 'Failed' } as const;

/** The connection's recent webhook events, polled so new ones appear without a reload. */
export function EventsList({
  connectionId,
  whatsappNumber,
}: {
  connectionId: string;
  whatsappNumber: string;
}) {
  const trpc = useTRPC();
  const events = useQuery(
    trpc.whatsapp.events.list.queryOptions({ connectionId, limit: 20 }, { refetchInterval: POLL_MS }),
  );
  const [announcement, setAnnouncement] = useState('');
  const newestSeen = useRef<string | null | undefined>(undefined);

  // Announce arrivals (not the first load): "2 new webhook events".
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

  const titleId = `events-${connectionId}`;
  return (
    <section className="events" aria-labelledby={titleId}>
      <h4 id={titleId}>Recent webhook events</h4>
      <p role="status" className="visually-hidden">
        {announcement}
      </p>
      {events.isPending ? (
        <p className="muted">Loading events…</p>
      ) : events.isError ? (
        <LoadError title="Events could not be loaded" error={events.error} />
      ) : events.data.length === 0 ? (
        <p className="muted">
          No events yet. When someone messages {whatsappNumber}, or Twilio reports a delivery, it shows here
          within a few seconds.
        </p>
      ) : (
        <ul className="events__list">
          {events.data.map((event) => (
            <li key={event.id} className="event">
              <span className={`badge badge--${event.status}`}>{statusLabels[event.status]}</span>
              <span className="event__what">
                {event.eventType === 'message'
                  ? 'Inbound message'
                  : `Status: ${event.messageStatus ?? 'unknown'}`}
              </span>
              {event.source === 'reconciliation' && (
                // No webhook brought it: it was read back from Twilio's message log.
                <span className="badge badge--muted">Read back from Twilio</span>
              )}
              <code className="event__sid">{event.messageSid}</code>
              <DateTime className="event__time" iso={event.createdAt} />
              {event.errorMessage && (
                <span className="event__error">
                  {event.errorMessage} (after {event.attempts} {event.attempts === 1 ? 'attempt' : 'attempts'}
                  )
                </span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
