import { deliveryVerdicts } from '@app/contracts';
import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '../lib/trpc.ts';
import { DateTime } from '../ui/DateTime.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { refusalVerdicts, verdictWords } from './delivery-words.ts';
import { EventsList } from './EventsList.tsx';
import './delivery-log.css';

const SUMMARY_POLL_MS = 5_000;

/**
 * A connection's delivery log, for owners and admins: the last 24 hours' deliveries by
 * verdict (refused ones included: they are never stored as events), the last refused
 * deliveries with their reason, and the stored events with their outcome.
 */
export function DeliveryLog({
  connectionId,
  whatsappNumber,
}: {
  connectionId: string;
  whatsappNumber: string;
}) {
  return (
    <>
      <DeliveryCounts connectionId={connectionId} />
      <EventsList connectionId={connectionId} whatsappNumber={whatsappNumber} />
    </>
  );
}

function DeliveryCounts({ connectionId }: { connectionId: string }) {
  const trpc = useTRPC();
  const summary = useQuery(
    trpc.whatsapp.events.summary.queryOptions({ connectionId }, { refetchInterval: SUMMARY_POLL_MS }),
  );
  const titleId = `deliveries-${connectionId}`;
  const refusedTitleId = `refused-${connectionId}`;
  return (
    <section className="deliveries" aria-labelledby={titleId}>
      <h4 id={titleId}>Deliveries in the last 24 hours</h4>
      {summary.isPending ? (
        <p className="muted">Loading the counts…</p>
      ) : summary.isError ? (
        <LoadError
          title="The delivery counts could not be loaded"
          error={summary.error}
          onRetry={() => void summary.refetch()}
        />
      ) : (
        <>
          <table className="deliveries__counts">
            <caption className="visually-hidden">Deliveries from Twilio by verdict, last 24 hours</caption>
            <thead>
              <tr>
                <th scope="col">Verdict</th>
                <th scope="col" className="deliveries__n-head">
                  Count
                </th>
                <th scope="col">Meaning</th>
              </tr>
            </thead>
            <tbody>
              {deliveryVerdicts.map((verdict) => {
                const n = summary.data.counts[verdict];
                const warn = n > 0 && refusalVerdicts.has(verdict);
                return (
                  <tr key={verdict} className={warn ? 'deliveries__row--warn' : undefined}>
                    <th scope="row">
                      {warn && <span aria-hidden="true">⚠ </span>}
                      {verdictWords[verdict].label}
                    </th>
                    <td className="deliveries__n">{n}</td>
                    <td className="muted">{verdictWords[verdict].meaning}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
          <details className="refused">
            <summary id={refusedTitleId}>
              Refused deliveries (
              {summary.data.refused.length === 0 ? 'none' : `last ${summary.data.refused.length}`})
            </summary>
            {summary.data.refused.length === 0 ? (
              <p className="muted">
                No delivery was refused recently. A refused delivery (bad or missing signature, or sent to a
                disconnected number) is listed here with its reason; its content is never kept.
              </p>
            ) : (
              <ul className="refused__list" aria-labelledby={refusedTitleId}>
                {summary.data.refused.map((r) => (
                  <li key={r.id} className="refused__item">
                    <span className="badge badge--failed">{verdictWords[r.verdict].label}</span>
                    <span>{r.eventType === 'message' ? 'Inbound message' : 'Status callback'}</span>
                    <span className="muted">from {r.sourceIp ?? 'an unknown address'}</span>
                    <DateTime className="event__time" iso={r.receivedAt} />
                    <span className="refused__reason">{r.reason}</span>
                  </li>
                ))}
              </ul>
            )}
          </details>
        </>
      )}
    </section>
  );
}
