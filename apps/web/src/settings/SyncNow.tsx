import type { WhatsappConnection } from '@app/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { messageOf } from '../lib/errors.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { DateTime } from '../ui/DateTime.tsx';
import { describeSyncResult } from './sync-result.ts';
import { useRefreshConnections } from './use-refresh-connections.ts';

/**
 * **Sync now**: reads this number's messages back from Twilio and stores what no
 * webhook brought. The outcome is a sentence in a live region; the conversation
 * and the events then show what was recovered.
 */
export function SyncNow({ connection, disabled }: { connection: WhatsappConnection; disabled: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const refreshList = useRefreshConnections();
  const sync = useMutation(
    trpc.whatsapp.connections.sync.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          refreshList(),
          queryClient.invalidateQueries({ queryKey: trpc.whatsapp.messages.list.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.whatsapp.events.list.pathKey() }),
        ]);
      },
    }),
  );
  const descriptionId = `sync-${connection.id}`;

  return (
    <div className="sync">
      <div className="sync__row">
        <button
          type="button"
          className="button"
          disabled={disabled || sync.isPending}
          aria-describedby={descriptionId}
          onClick={() => sync.mutate({ id: connection.id })}
        >
          {sync.isPending ? 'Syncing…' : 'Sync now'}
        </button>
        <p id={descriptionId} className="muted sync__hint">
          Fetches messages and delivery statuses from Twilio that did not reach us.{' '}
          {connection.lastReconciledAt ? (
            <>
              Last checked <DateTime iso={connection.lastReconciledAt} />.
            </>
          ) : (
            'Not checked yet.'
          )}
        </p>
      </div>
      {sync.isError ? (
        <Alert tone="error">{messageOf(sync.error)}</Alert>
      ) : (
        <Alert tone={sync.isPending ? 'info' : 'success'}>
          {sync.isPending
            ? 'Checking Twilio for messages and statuses we missed…'
            : sync.data && describeSyncResult(sync.data)}
        </Alert>
      )}
    </div>
  );
}
