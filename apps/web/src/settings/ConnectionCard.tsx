import type { WhatsappConnection } from '@app/contracts';
import { useMutation } from '@tanstack/react-query';
import { useId, useRef, useState } from 'react';
import { messageOf } from '../lib/errors.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { ConfirmDialog } from '../ui/ConfirmDialog.tsx';
import { DateTime } from '../ui/DateTime.tsx';
import { CopyField } from './CopyField.tsx';
import { DeliveryLog } from './DeliveryLog.tsx';
import type { Feedback } from './feedback.ts';
import { HealthPanel } from './HealthPanel.tsx';
import { InboxLink } from './InboxLink.tsx';
import { MessagingServiceFacts } from './MessagingServiceFacts.tsx';
import { SigningTokenHint } from './SigningTokenHint.tsx';
import { SyncNow } from './SyncNow.tsx';
import { UpdateCredentialsForm } from './UpdateCredentialsForm.tsx';
import { useRefreshConnections } from './use-refresh-connections.ts';

export const connectionHeadingId = (id: string) => `connection-${id}`;

const senderLabels = {
  sender: 'WhatsApp sender',
  incoming_number: 'Twilio phone number',
  sandbox: 'Twilio sandbox',
  messaging_service: 'Messaging Service',
} as const;

/** One connected number: its state, its webhook URLs (and how to paste them where Twilio needs it), actions, recent events. */
export function ConnectionCard({
  connection,
  canManage,
  isOwner,
  webhookError,
  onDisconnected,
  onHistoryDeleted,
}: {
  connection: WhatsappConnection;
  canManage: boolean;
  /** Only an owner may delete a disconnected number's history. */
  isOwner: boolean;
  /** Why Twilio's webhooks could not be set by the last connect, if they could not. */
  webhookError?: string | null;
  /** `note` says what happened to Twilio's webhook settings, or what to clear by hand. */
  onDisconnected: (connection: WhatsappConnection, note: string) => void;
  onHistoryDeleted: (connection: WhatsappConnection) => void;
}) {
  const trpc = useTRPC();
  // Until the card's first action, it says why the last connect could not set the
  // webhooks (if it could not); each action replaces that with its own outcome.
  const [actionFeedback, setFeedback] = useState<Feedback | null | undefined>(undefined);
  const feedback =
    actionFeedback === undefined && webhookError
      ? { tone: 'error' as const, text: `Twilio's webhooks could not be set: ${webhookError}` }
      : actionFeedback;
  const [editing, setEditing] = useState(false);
  const [confirming, setConfirming] = useState<'pause' | 'disconnect' | 'delete-history' | null>(null);
  const [typedNumber, setTypedNumber] = useState('');
  const typedNumberId = useId();
  const disconnected = connection.disconnectedAt !== null;
  const updateButtonRef = useRef<HTMLButtonElement>(null);
  const refreshList = useRefreshConnections();
  const onError = (error: unknown) => setFeedback({ tone: 'error', text: messageOf(error) });

  const verify = useMutation(
    trpc.whatsapp.connections.verify.mutationOptions({
      onMutate: () => setFeedback(null),
      onSuccess: async () => {
        await refreshList();
        setFeedback({
          tone: 'success',
          text: 'Twilio accepted the credentials and the number is still a sender.',
        });
      },
      onError,
    }),
  );
  const configure = useMutation(
    trpc.whatsapp.connections.configureWebhooks.mutationOptions({
      onMutate: () => setFeedback(null),
      onSuccess: async (result) => {
        await refreshList();
        setFeedback(
          result.webhookError
            ? { tone: 'error', text: result.webhookError }
            : { tone: 'success', text: 'Twilio will now send messages and status updates here.' },
        );
      },
      onError,
    }),
  );
  const setActive = useMutation(
    trpc.whatsapp.connections.setActive.mutationOptions({
      onMutate: () => setFeedback(null),
      onSuccess: async (_result, input) => {
        await refreshList();
        setConfirming(null);
        setFeedback({
          tone: 'success',
          text: input.isActive
            ? 'Sending resumed: messages can be sent from this number again.'
            : "Sending paused. Customers' messages and delivery updates still arrive and show here.",
        });
      },
      // Pausing reports its failure in its dialog; resuming on the card.
      onError: (error, input) => (input.isActive ? onError(error) : undefined),
    }),
  );
  const remove = useMutation(
    trpc.whatsapp.connections.delete.mutationOptions({
      onSuccess: async (result) => {
        // The list first: the card then shows the disconnected state it is focused in.
        await refreshList();
        setConfirming(null);
        setFeedback(null);
        onDisconnected(connection, result.webhookNote);
      },
    }),
  );
  const deleteHistory = useMutation(
    trpc.whatsapp.connections.deleteHistory.mutationOptions({
      onSuccess: async () => {
        await refreshList();
        setConfirming(null);
        onHistoryDeleted(connection);
      },
    }),
  );

  const busy =
    verify.isPending ||
    configure.isPending ||
    setActive.isPending ||
    remove.isPending ||
    deleteHistory.isPending;
  const headingId = connectionHeadingId(connection.id);
  const title = connection.friendlyName ?? connection.whatsappNumber;

  return (
    <article className="card" aria-labelledby={headingId}>
      <header className="card__header">
        <h3 id={headingId} tabIndex={-1}>
          {title}
        </h3>
        <div className="card__badges">
          {disconnected ? (
            <span className="badge badge--muted">Disconnected</span>
          ) : (
            <>
              <span className={`badge ${connection.isActive ? 'badge--processed' : 'badge--muted'}`}>
                {connection.isActive ? 'Active' : 'Sending paused'}
              </span>
              <span
                className={`badge ${connection.webhookConfigured ? 'badge--processed' : 'badge--pending'}`}
              >
                {connection.webhookConfigured ? 'Webhooks configured' : 'Webhooks need setup'}
              </span>
            </>
          )}
        </div>
      </header>

      <dl className="card__facts">
        <div>
          <dt>Number</dt>
          <dd>{connection.whatsappNumber}</dd>
        </div>
        <div>
          <dt>Name</dt>
          <dd>{connection.friendlyName ?? <span className="muted">None</span>}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{senderLabels[connection.senderKind]}</dd>
        </div>
        <MessagingServiceFacts connection={connection} />
        <div>
          <dt>Last verified</dt>
          <dd>{connection.lastVerifiedAt ? <DateTime iso={connection.lastVerifiedAt} /> : 'Never'}</dd>
        </div>
        {connection.disconnectedAt && (
          <div className="card__fact--wide">
            <dt>Disconnected on</dt>
            <dd>
              <DateTime iso={connection.disconnectedAt} /> by{' '}
              {connection.disconnectedBy ?? 'an owner or admin'}
            </dd>
          </div>
        )}
        <div className="card__fact--wide">
          <dt>Account SID</dt>
          <dd>
            <code>{connection.accountSid}</code>
          </dd>
        </div>
      </dl>

      <SigningTokenHint connection={connection} />
      <HealthPanel connection={connection} canManage={canManage} />

      {disconnected ? (
        <p className="muted">
          Its Auth Token was erased and its webhooks are no longer accepted. Its conversations are kept in the
          inbox
          {canManage ? '; connect the number again with "Connect another number" to continue it.' : '.'}
        </p>
      ) : (
        <section
          className={connection.webhookConfigured ? 'card__webhooks' : 'card__paste'}
          aria-labelledby={`${headingId}-webhooks`}
        >
          {connection.webhookConfigured ? (
            <>
              <h4 id={`${headingId}-webhooks`}>Webhook URLs</h4>
              <p className="muted">
                Twilio sends this number's messages to the first URL and their delivery statuses to the
                second, both with POST.
              </p>
            </>
          ) : (
            <>
              <h4 id={`${headingId}-webhooks`}>Paste these URLs into Twilio</h4>
              <p className="muted">
                {connection.senderKind === 'sandbox'
                  ? 'In the Twilio Console, open Messaging > Try it out > Send a WhatsApp message > Sandbox settings. Put the first URL in "When a message comes in" and the second in "Status callback URL", both with method POST, then save.'
                  : 'In the Twilio Console, open Messaging > Senders > WhatsApp senders and pick this number. Put the first URL as the webhook for incoming messages and the second as the status callback URL, both with method POST, then save.'}
              </p>
            </>
          )}
          <CopyField label="Incoming messages URL" value={connection.webhookUrls.inbound} />
          <CopyField label="Status callback URL" value={connection.webhookUrls.status} />
        </section>
      )}

      <Alert tone={feedback?.tone ?? 'success'}>{feedback?.text}</Alert>

      {disconnected && isOwner && (
        <div className="card__actions">
          <button
            type="button"
            className="button button--danger"
            disabled={busy}
            onClick={() => {
              deleteHistory.reset();
              setTypedNumber('');
              setConfirming('delete-history');
            }}
          >
            Delete history
          </button>
        </div>
      )}

      {canManage && !disconnected && (
        <div className="card__actions">
          <button
            type="button"
            className="button"
            disabled={busy}
            onClick={() => verify.mutate({ id: connection.id })}
          >
            {verify.isPending ? 'Verifying…' : 'Verify now'}
          </button>
          {/* Twilio has no API for the sandbox's webhooks: the URLs above are pasted by hand. */}
          {connection.senderKind !== 'sandbox' && (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => configure.mutate({ id: connection.id })}
            >
              {configure.isPending ? 'Configuring…' : 'Configure webhooks'}
            </button>
          )}
          <button
            type="button"
            className="button"
            ref={updateButtonRef}
            disabled={busy}
            aria-expanded={editing}
            onClick={() => setEditing((e) => !e)}
          >
            Update credentials
          </button>
          {connection.isActive ? (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => {
                setActive.reset();
                setConfirming('pause');
              }}
            >
              Pause sending
            </button>
          ) : (
            <button
              type="button"
              className="button"
              disabled={busy}
              onClick={() => setActive.mutate({ id: connection.id, isActive: true })}
            >
              {setActive.isPending ? 'Resuming…' : 'Resume sending'}
            </button>
          )}
          <button
            type="button"
            className="button button--danger"
            disabled={busy}
            onClick={() => {
              remove.reset();
              setConfirming('disconnect');
            }}
          >
            Disconnect
          </button>
        </div>
      )}

      {canManage && !disconnected && <SyncNow connection={connection} disabled={busy} />}

      {canManage && !disconnected && editing && (
        <UpdateCredentialsForm
          connection={connection}
          onDone={(result) => {
            setEditing(false);
            if (result) setFeedback(result);
            // The form is gone: back to the button that opened it.
            updateButtonRef.current?.focus();
          }}
        />
      )}

      <InboxLink connection={connection} />

      {canManage ? (
        <DeliveryLog connectionId={connection.id} whatsappNumber={connection.whatsappNumber} />
      ) : (
        // Webhook payloads carry customers' messages: the server shows them to owners and admins only.
        <p className="events muted">Webhook events for this number are visible to owners and admins.</p>
      )}

      {canManage && (
        <ConfirmDialog
          open={confirming === 'pause'}
          title={`Pause sending from ${connection.whatsappNumber}?`}
          confirmLabel="Pause sending"
          busy={setActive.isPending}
          error={setActive.error ? messageOf(setActive.error) : null}
          onConfirm={() => setActive.mutate({ id: connection.id, isActive: false })}
          onCancel={() => setConfirming(null)}
        >
          <p>
            Customers' messages and delivery updates will still arrive and show here; nobody can send from
            this number until an owner or admin resumes it.
          </p>
        </ConfirmDialog>
      )}

      {canManage && (
        <ConfirmDialog
          open={confirming === 'disconnect'}
          title={`Disconnect ${title}?`}
          confirmLabel="Disconnect"
          busy={remove.isPending}
          error={remove.error ? messageOf(remove.error) : null}
          onConfirm={() => remove.mutate({ id: connection.id })}
          onCancel={() => setConfirming(null)}
        >
          <p>
            Erased: the Auth Token we stored.{' '}
            {connection.senderKind === 'sandbox'
              ? "Twilio's sandbox has no API for its webhooks: we will tell you what to clear in the Twilio Console."
              : "Twilio's webhook settings for this number are put back to what they were before it was connected."}{' '}
            From then on its customers' messages no longer reach us.
          </p>
          <p>
            Kept: its conversation and webhook events stay here, readable as now; connecting the number again
            continues them. Only an owner can delete that history, separately.
          </p>
        </ConfirmDialog>
      )}

      {disconnected && isOwner && (
        <ConfirmDialog
          open={confirming === 'delete-history'}
          title={`Delete the history of ${connection.whatsappNumber}?`}
          confirmLabel="Delete history"
          busy={deleteHistory.isPending}
          confirmDisabled={typedNumber.trim() !== connection.whatsappNumber}
          error={deleteHistory.error ? messageOf(deleteHistory.error) : null}
          onConfirm={() => deleteHistory.mutate({ id: connection.id, confirmation: typedNumber.trim() })}
          onCancel={() => setConfirming(null)}
        >
          <p>
            Every message and webhook event of {connection.whatsappNumber} is deleted here, for everyone in
            your organization. This cannot be undone; Twilio keeps its own copy of the messages.
          </p>
          <div className="field">
            <label htmlFor={typedNumberId}>Type {connection.whatsappNumber} to confirm</label>
            <input
              id={typedNumberId}
              type="text"
              autoComplete="off"
              spellCheck={false}
              value={typedNumber}
              onChange={(event) => setTypedNumber(event.target.value)}
            />
          </div>
        </ConfirmDialog>
      )}
    </article>
  );
}
