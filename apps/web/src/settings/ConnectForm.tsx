import { type ConnectionWriteResult, createConnectionInput } from '@app/contracts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect } from 'react';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { Field } from '../ui/Field.tsx';
import { ConnectProgress } from './ConnectProgress.tsx';
import { useRefreshConnections } from './use-refresh-connections.ts';

const fields = ['accountSid', 'authToken', 'whatsappNumber', 'friendlyName'] as const;

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
    const input = form.validate(createConnectionInput, {
      accountSid: value('accountSid'),
      authToken: value('authToken'),
      whatsappNumber: value('whatsappNumber'),
      friendlyName: value('friendlyName'),
    });
    if (input) create.mutate(input);
  }

  return (
    <section className="panel" aria-labelledby="connect-title">
      <h2 id="connect-title">Connect a WhatsApp number</h2>
      <Alert tone="error" alertRef={form.alertRef} title="The number was not connected">
        {formError}
      </Alert>
      <form noValidate onSubmit={onSubmit} className="form" aria-busy={create.isPending}>
        <fieldset disabled={create.isPending} className="form__fields">
          <legend className="visually-hidden">Twilio credentials and number</legend>
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
          <Field
            label="WhatsApp number"
            {...form.field('whatsappNumber')}
            type="tel"
            autoComplete="off"
            placeholder="+14155238886"
            hint="With + and the country code, as listed under Messaging > Senders > WhatsApp senders."
          />
          <Field
            label="Name (optional)"
            {...form.field('friendlyName')}
            autoComplete="off"
            hint="How your team will recognise this number, e.g. Support."
          />
        </fieldset>
        <ConnectProgress running={create.isPending} />
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
