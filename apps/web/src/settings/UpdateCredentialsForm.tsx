import { updateConnectionInput, type WhatsappConnection } from '@app/contracts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef } from 'react';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { Field } from '../ui/Field.tsx';
import type { Feedback } from './feedback.ts';
import { useRefreshConnections } from './use-refresh-connections.ts';

const fields = ['accountSid', 'authToken', 'friendlyName'] as const;

/** New credentials (checked by Twilio before they replace the old ones) or a new name. */
export function UpdateCredentialsForm({
  connection,
  onDone,
}: {
  connection: WhatsappConnection;
  /** Closes the form; with what to tell the person when something was saved. */
  onDone: (feedback: Feedback | null) => void;
}) {
  const trpc = useTRPC();
  const refreshConnections = useRefreshConnections();
  const form = useFieldErrors(fields);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  const update = useMutation(
    trpc.whatsapp.connections.update.mutationOptions({
      onSuccess: async (result) => {
        await refreshConnections();
        onDone(
          result.webhookError
            ? { tone: 'error', text: `Saved, but Twilio's webhooks could not be set: ${result.webhookError}` }
            : { tone: 'success', text: 'Saved. Twilio accepted the new details.' },
        );
      },
      onError: (error) => form.showServerError(error),
    }),
  );
  const formError = form.alertMessageOf(update.error);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const value = submittedText(event);
    const accountSid = value('accountSid').trim();
    const authToken = value('authToken').trim();
    const input = form.validate(updateConnectionInput, {
      id: connection.id,
      accountSid: accountSid === '' || accountSid === connection.accountSid ? undefined : accountSid,
      authToken: authToken === '' ? undefined : authToken,
      friendlyName: value('friendlyName'),
    });
    if (input) update.mutate(input);
  }

  return (
    <section className="subpanel" aria-labelledby={`update-${connection.id}`}>
      <h4 id={`update-${connection.id}`} ref={headingRef} tabIndex={-1}>
        Update credentials
      </h4>
      <p className="muted">
        Leave the Auth Token empty to keep the current one. Rotating it? Save the secondary token from
        Twilio's console here first, then promote it there: until then Twilio signs with the old token, which
        stays accepted for 7 days.
      </p>
      <Alert tone="error" alertRef={form.alertRef}>
        {formError}
      </Alert>
      <form noValidate onSubmit={onSubmit} className="form">
        <Field
          label="Account SID"
          {...form.field('accountSid')}
          defaultValue={connection.accountSid}
          autoComplete="off"
          spellCheck={false}
        />
        <Field
          label="New Auth Token"
          {...form.field('authToken')}
          revealable
          autoComplete="off"
          spellCheck={false}
        />
        <Field
          label="Name (optional)"
          {...form.field('friendlyName')}
          defaultValue={connection.friendlyName ?? ''}
          autoComplete="off"
        />
        <div className="form__actions">
          <button type="submit" className="button button--primary" disabled={update.isPending}>
            {update.isPending ? 'Checking with Twilio…' : 'Save'}
          </button>
          <button type="button" className="button" onClick={() => onDone(null)} disabled={update.isPending}>
            Cancel
          </button>
        </div>
      </form>
    </section>
  );
}
