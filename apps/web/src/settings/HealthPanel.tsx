import {
  type ConnectionHealth,
  deliveryVerdicts,
  type HealthLevel,
  type WhatsappConnection,
} from '@app/contracts';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { messageOf } from '../lib/errors.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { DateTime } from '../ui/DateTime.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { refusalVerdicts, verdictWords } from './delivery-words.ts';
import './health-panel.css';
import { useRefreshConnections } from './use-refresh-connections.ts';

/** The level in words and a symbol, so that colour is never the only signal. */
const levels: Record<HealthLevel, { words: string; symbol: string }> = {
  ok: { words: 'Healthy', symbol: '✓' },
  warning: { words: 'Needs attention', symbol: '!' },
  error: { words: 'Not working', symbol: '✕' },
};

/** Twilio's sender statuses, as a person reads them. */
function statusWords(status: string): string {
  const words: Record<string, string> = {
    ONLINE: 'Online',
    'ONLINE:UPDATING': 'Online (profile update under way)',
    OFFLINE: 'Offline',
    CREATING: 'Being created',
    PENDING_VERIFICATION: 'Waiting for verification',
    VERIFYING: 'Being verified',
    TWILIO_REVIEW: 'In review at Twilio',
    DRAFT: 'Draft',
    STUBBED: 'Not set up yet',
  };
  return words[status] ?? status;
}

/**
 * Whether this number works right now, and if not why and what to do: the sender as
 * Twilio has it, whether Twilio still sends the webhooks here (with Repair for owners
 * and admins), the last deliveries and the last 24 hours' counts. Read on demand (it
 * asks Twilio), refreshed with its button.
 */
export function HealthPanel({
  connection,
  canManage,
}: {
  connection: WhatsappConnection;
  canManage: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refreshList = useRefreshConnections();
  const disconnected = connection.disconnectedAt !== null;
  const health = useQuery(
    trpc.whatsapp.connections.health.queryOptions(
      { id: connection.id },
      // Each read asks Twilio: no polling, no refetch on focus; the button refreshes.
      { enabled: !disconnected, staleTime: 30_000, refetchOnWindowFocus: false },
    ),
  );
  // The card's own actions (Configure webhooks, Pause, Resume, new credentials) change
  // the row: ask again then, so the verdict never contradicts what was just done.
  const healthKey = trpc.whatsapp.connections.health.queryKey({ id: connection.id });
  const seenUpdate = useRef(connection.updatedAt);
  useEffect(() => {
    if (seenUpdate.current === connection.updatedAt) return;
    seenUpdate.current = connection.updatedAt;
    void queryClient.invalidateQueries({ queryKey: healthKey });
  }, [connection.updatedAt, queryClient, healthKey]);
  const summaryRef = useRef<HTMLDivElement>(null);
  const [repairError, setRepairError] = useState<string | null>(null);
  const repair = useMutation(
    trpc.whatsapp.connections.configureWebhooks.mutationOptions({
      onMutate: () => setRepairError(null),
      onSuccess: async (result) => {
        if (result.webhookError) setRepairError(result.webhookError);
        await Promise.all([refreshList(), queryClient.invalidateQueries({ queryKey: healthKey })]);
        // The Repair button is gone once it worked: keep the keyboard on the result.
        summaryRef.current?.focus();
      },
      onError: (error) => setRepairError(messageOf(error)),
    }),
  );

  if (disconnected) return null;
  const titleId = `health-${connection.id}`;
  const checking = health.isFetching || repair.isPending;

  return (
    <section className="health" aria-labelledby={titleId} aria-busy={checking}>
      <div className="health__header">
        <h4 id={titleId}>Health</h4>
        <button type="button" className="button" disabled={checking} onClick={() => void health.refetch()}>
          {health.isFetching ? 'Checking…' : 'Check again'}
        </button>
      </div>
      {health.isPending ? (
        <p className="muted" role="status">
          Asking Twilio about this number…
        </p>
      ) : health.isError ? (
        <LoadError
          title="The health of this number could not be checked"
          error={health.error}
          onRetry={() => void health.refetch()}
        />
      ) : (
        <HealthReport
          health={health.data}
          canManage={canManage}
          summaryRef={summaryRef}
          repair={{
            pending: repair.isPending,
            error: repairError,
            run: () => repair.mutate({ id: connection.id }),
          }}
        />
      )}
    </section>
  );
}

function HealthReport({
  health,
  canManage,
  summaryRef,
  repair,
}: {
  health: ConnectionHealth;
  canManage: boolean;
  summaryRef: React.Ref<HTMLDivElement>;
  repair: { pending: boolean; error: string | null; run: () => void };
}) {
  const level = levels[health.summary.level];
  const { sender } = health;
  const canRepair = canManage && health.drift.length > 0 && sender.kind !== 'sandbox';
  const countsId = `health-counts-${health.connectionId}`;

  return (
    <>
      <div
        ref={summaryRef}
        tabIndex={-1}
        role="status"
        className={`health__summary health__summary--${health.summary.level}`}
      >
        <span className="health__symbol" aria-hidden="true">
          {level.symbol}
        </span>
        <p>
          <strong>{level.words}.</strong> {health.summary.sentence}
        </p>
      </div>

      {canRepair && (
        <div className="health__repair">
          <button
            type="button"
            className="button button--primary"
            disabled={repair.pending}
            onClick={repair.run}
          >
            {repair.pending ? 'Repairing…' : 'Repair'}
          </button>
          <p className="muted">Points this number's webhooks at us again in Twilio.</p>
        </div>
      )}
      <Alert tone="error">{repair.error}</Alert>

      <dl className="health__facts">
        <div>
          <dt>Sender at Twilio</dt>
          <dd>
            {sender.status !== null ? (
              <>
                {statusWords(sender.status)} <code>{sender.status}</code>
              </>
            ) : health.twilio.reachability === 'ok' ? (
              <span className="muted">No status (see below)</span>
            ) : (
              <span className="muted">Unknown: Twilio was not reached</span>
            )}
          </dd>
        </div>
        {sender.qualityRating !== null && (
          <div>
            <dt>Quality rating</dt>
            <dd>{sender.qualityRating}</dd>
          </div>
        )}
        {sender.messagingLimit !== null && (
          <div>
            <dt>Messaging limit</dt>
            <dd>{sender.messagingLimit}</dd>
          </div>
        )}
        <div>
          <dt>Last message received</dt>
          <dd>{health.lastInboundAt ? <DateTime iso={health.lastInboundAt} /> : 'None yet'}</dd>
        </div>
        <div>
          <dt>Last status update received</dt>
          <dd>{health.lastStatusCallbackAt ? <DateTime iso={health.lastStatusCallbackAt} /> : 'None yet'}</dd>
        </div>
        <div>
          <dt>Checked</dt>
          <dd>
            <DateTime iso={health.checkedAt} />
          </dd>
        </div>
      </dl>

      {sender.offlineReasons.length > 0 && (
        <div className="health__block">
          <h5>Why Twilio has it offline</h5>
          <ul>
            {sender.offlineReasons.map((reason) => (
              <li key={`${reason.code}:${reason.message}`}>
                {reason.message ?? 'No message'}
                {reason.code && <> (code {reason.code})</>}
                {reason.moreInfo && (
                  <>
                    {' '}
                    <a href={reason.moreInfo} target="_blank" rel="noreferrer">
                      More about this reason
                    </a>
                  </>
                )}
              </li>
            ))}
          </ul>
        </div>
      )}
      {sender.note && <p className="muted health__note">{sender.note}</p>}
      {health.twilio.reachability !== 'ok' && health.twilio.message && (
        <p className="muted health__note">{health.twilio.message}</p>
      )}

      <div className="health__block">
        <h5>Webhook URLs at Twilio</h5>
        {!health.webhooksChecked ? (
          <p className="muted">Not compared: Twilio's settings could not be read for this number.</p>
        ) : health.drift.length === 0 ? (
          <p>
            <span aria-hidden="true">✓ </span>Twilio sends messages and status updates to this number's URLs.
          </p>
        ) : (
          <table className="health__table">
            <caption className="visually-hidden">Webhook settings that differ at Twilio</caption>
            <thead>
              <tr>
                <th scope="col">Setting at Twilio</th>
                <th scope="col">Should be</th>
                <th scope="col">Is now</th>
              </tr>
            </thead>
            <tbody>
              {health.drift.map((d) => (
                <tr key={d.field}>
                  <th scope="row">
                    <code>{d.field}</code>
                  </th>
                  <td className="health__url">{d.expected}</td>
                  <td className="health__url">{d.actual ?? <span className="muted">(not set)</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>

      {canManage ? (
        // Owners and admins have the delivery log below, whose counts by verdict are
        // the same figures, kept current, beside the refused deliveries: one table is enough.
        <p className="health__block muted">
          Deliveries of the last 24 hours by verdict, and the refused ones with their reason, are in the
          delivery log below.
        </p>
      ) : (
        <div className="health__block">
          <h5 id={countsId}>Deliveries in the last 24 hours</h5>
          <table className="health__table health__counts" aria-labelledby={countsId}>
            <thead>
              <tr>
                <th scope="col">What happened</th>
                <th scope="col" className="health__num">
                  Count
                </th>
              </tr>
            </thead>
            <tbody>
              {deliveryVerdicts.map((verdict) => {
                const n = health.deliveries[verdict];
                const trouble = refusalVerdicts.has(verdict) && n > 0;
                return (
                  <tr key={verdict} className={trouble ? 'health__row--trouble' : undefined}>
                    <th scope="row">
                      {trouble && <span aria-hidden="true">! </span>}
                      {verdictWords[verdict].label}
                      <span className="muted health__meaning">: {verdictWords[verdict].meaning}</span>
                    </th>
                    <td className="health__num">{n}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
