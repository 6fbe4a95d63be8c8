import { type ConnectionWriteResult, canManageConnections } from '@app/contracts';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { type Me, useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { PageHeading } from '../ui/PageHeading.tsx';
import { ConnectForm } from './ConnectForm.tsx';
import { ConnectionCard, connectionHeadingId } from './ConnectionCard.tsx';
import { WhatsappEmptyState } from './WhatsappEmptyState.tsx';

/** Settings -> WhatsApp: connect a number, look after it, watch its webhooks arrive. */
export default function WhatsappSettingsPage({ user }: { user: Me }) {
  const trpc = useTRPC();
  const canManage = canManageConnections(user);
  const connections = useQuery(trpc.whatsapp.connections.list.queryOptions());
  const [showForm, setShowForm] = useState(false);
  const [result, setResult] = useState<string | null>(null);
  const [lastWrite, setLastWrite] = useState<ConnectionWriteResult | null>(null);
  // Where focus goes once the page has re-rendered after an action: the list heading,
  // the "Connect another number" button, or a connection's card (by id).
  const [focusTarget, setFocusTarget] = useState<string | null>(null);
  const listHeadingRef = useRef<HTMLHeadingElement>(null);
  const connectAnotherRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!focusTarget) return;
    const element =
      focusTarget === 'list'
        ? listHeadingRef.current
        : focusTarget === 'connect-another'
          ? connectAnotherRef.current
          : document.getElementById(connectionHeadingId(focusTarget));
    if (element) {
      element.focus();
      setFocusTarget(null);
    }
  });

  function onConnected(connection: ConnectionWriteResult) {
    setShowForm(false);
    setLastWrite(connection);
    // A Messaging Service is named by its SID: its senders are all connected.
    const what = connection.messagingService
      ? `Messaging Service ${connection.messagingService.sid}`
      : connection.whatsappNumber;
    setResult(
      connection.webhookError
        ? `Connected ${what}, but its webhooks still need to be set up.`
        : connection.webhookConfigured
          ? `Connected ${what}. Twilio will send its messages here.`
          : `Connected ${what}. Paste the two URLs below into Twilio to receive its messages.`,
    );
    setFocusTarget(connection.id);
  }

  const list = connections.data ?? [];
  return (
    <div className="settings">
      <p className="breadcrumb">Settings</p>
      <PageHeading>WhatsApp</PageHeading>
      <p className="lead">
        Connect your Twilio WhatsApp number so messages to it reach us, and replies go out through it.
      </p>
      <Alert tone="success">{result}</Alert>

      {connections.isPending ? (
        <p role="status" className="muted">
          Loading connections…
        </p>
      ) : connections.isError ? (
        <div className="panel">
          <LoadError
            title="Connections could not be loaded"
            error={connections.error}
            onRetry={() => void connections.refetch()}
          />
        </div>
      ) : list.length === 0 ? (
        <>
          <WhatsappEmptyState canManage={canManage} headingRef={listHeadingRef} />
          {canManage && <ConnectForm onConnected={onConnected} />}
        </>
      ) : (
        <section aria-labelledby="connections-title" className="connections">
          <div className="connections__header">
            <h2 id="connections-title" ref={listHeadingRef} tabIndex={-1}>
              Connected numbers
            </h2>
            {canManage && !showForm && (
              <button
                type="button"
                className="button"
                ref={connectAnotherRef}
                onClick={() => setShowForm(true)}
              >
                Connect another number
              </button>
            )}
          </div>
          {!canManage && (
            <p className="muted">
              You can see this channel; only owners and admins of {user.organizationName} can change it.
            </p>
          )}
          {canManage && showForm && (
            <ConnectForm
              focusOnOpen
              onConnected={onConnected}
              onCancel={() => {
                setShowForm(false);
                setFocusTarget('connect-another');
              }}
            />
          )}
          {list.map((connection) => (
            <ConnectionCard
              key={connection.id}
              connection={connection}
              canManage={canManage}
              webhookError={lastWrite?.id === connection.id ? lastWrite.webhookError : null}
              isOwner={user.role === 'owner'}
              onDisconnected={(gone, note) => {
                setResult(`Disconnected ${gone.whatsappNumber}. ${note}`);
                // The card stays, showing its history as disconnected.
                setFocusTarget(gone.id);
              }}
              onHistoryDeleted={(gone) => {
                setResult(`Deleted the history of ${gone.whatsappNumber}.`);
                setFocusTarget('list');
              }}
            />
          ))}
        </section>
      )}
    </div>
  );
}
