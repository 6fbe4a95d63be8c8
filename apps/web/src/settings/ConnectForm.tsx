import { type ConnectionTargetKind, type ConnectionWriteResult, createConnectionInput } from '@app/contracts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useId, useState } from 'react';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { Field } from '../ui/Field.tsx';
import { ConnectProgress } from './ConnectProgress.tsx';
import { useRefreshConnections } from './use-refresh-connections.ts';

const fields = ['accountSid', 'authToken', 'whatsappNumber', 'messagingServiceSid', 'friendlyName'] as const;

const targetChoices: { kind: ConnectionTargetKind; label: string; hint: string }[] = [
  { kind: 'number', label: 'A WhatsApp number', hint: 'One WhatsApp sender of your account.' },
  {
    kind: 'messaging_service',
    label: 'A Messaging Service',
    hint: 'Every WhatsApp sender in the service’s Sender Pool; Twilio picks which one sends.',
  },
];

/** The connect flow: the credentials, checked here with the shared contract, then by Twilio. */
export function ConnectForm({
  onConnected,
  onCancel,
  focusOnOpen = false,
}: {
  onConnected: (connection: ConnectionWriteResult) => void;
  onCancel?: () => void;
  /** Opened by a button that is now gone: focus goes to the first field, not to the page. */
  focusOnOpen?: boolean;
}) {
  const trpc = useTRPC();
  const refreshConnections = useRefreshConnections();
  const form = useFieldErrors(fields);
  const { focusField } = form;
  const [kind, setKind] = useState<ConnectionTargetKind>('number');
  // One id per press of Connect: the server records that attempt's steps under it.
  const [attemptId, setAttemptId] = useState<string | null>(null);
  const choiceName = useId();
  useEffect(() => {
    if (focusOnOpen) focusField('accountSid');
  }, [focusOnOpen, focusField]);
  const create = useMutation(
    trpc.whatsapp.connections.create.mutationOptions({
      onSuccess: async (connection) => {
        await refreshConnections();
        onConnected(connection);
      },
      onError: (error) => form.showServerError(error),
    }),
  );
  const formError = form.alertMessageOf(create.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const value = submittedText(event);
    const credentials = {
      accountSid: value('accountSid'),
      authToken: value('authToken'),
      friendlyName: value('friendlyName'),
    };
    const input = form.validate(
      createConnectionInput,
      kind === 'messaging_service'
        ? { ...credentials, kind, messagingServiceSid: value('messagingServiceSid') }
        : { ...credentials, kind, whatsappNumber: value('whatsappNumber') },
    );
    if (!input) return;
    const id = crypto.randomUUID();
    setAttemptId(id);
    create.mutate({ ...input, attemptId: id });
  }

  return (
    <section className="panel" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a WhatsApp number</h2>
      <Alert tone="error" alertRef={form.alertRef} title="The number was not connected">
        {formError}
      </Alert>
      <form noValidate onSubmit={onSubmit} className="form" aria-busy={create.isPending}>
        <fieldset disabled={create.isPending} className="form__fields">
          <legend className="visually-hidden">Twilio credentials and what to connect</legend>
          <Field
            label="Account SID"
            {...form.field('accountSid')}
            autoComplete="off"
            spellCheck={false}
            placeholder="AC…"
            hint="Twilio Console home page, under Account Info."
          />
          <Field
            label="Auth Token"
            {...form.field('authToken')}
            revealable
            autoComplete="off"
            spellCheck={false}
            hint="Next to the Account SID; use Show in the Console to copy it. We store it encrypted."
          />
          <fieldset className="choice">
            <legend className="choice__legend">What to connect</legend>
            {targetChoices.map((choice) => (
              <label key={choice.kind} className="choice__option">
                <input
                  type="radio"
                  className="choice__radio"
                  name={choiceName}
                  value={choice.kind}
                  checked={kind === choice.kind}
                  onChange={() => setKind(choice.kind)}
                />
                <span>
                  <span className="choice__label">{choice.label}</span>
                  <span className="choice__hint">{choice.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          {kind === 'number' ? (
            <Field
              label="WhatsApp number"
              {...form.field('whatsappNumber')}
              type="tel"
              autoComplete="off"
              placeholder="+14155238886"
              hint="With + and the country code, as listed under Messaging > Senders > WhatsApp senders."
            />
          ) : (
            <Field
              label="Messaging Service SID"
              {...form.field('messagingServiceSid')}
              autoComplete="off"
              spellCheck={false}
              placeholder="MG…"
              hint="Twilio Console > Messaging > Services: the SID beside the service's name, starting with MG. Its Sender Pool needs at least one WhatsApp sender."
            />
          )}
          <Field
            label="Name (optional)"
            {...form.field('friendlyName')}
            autoComplete="off"
            hint="How your team will recognise this number, e.g. Support."
          />
        </fieldset>
        <ConnectProgress attemptId={attemptId} running={create.isPending} kind={kind} />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={create.isPending}>
            {create.isPending ? 'Connecting…' : 'Connect'}
          </button>
          {onCancel && (
            <button type="button" className="button" onClick={onCancel} disabled={create.isPending}>
              Cancel
            </button>
          )}
        </div>
      </form>
    </section>
  );
}
