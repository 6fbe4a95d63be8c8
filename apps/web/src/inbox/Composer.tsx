import { e164Number, MESSAGE_BODY_MAX, sendMessageInput } from '@app/contracts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useEffect, useRef, useState } from 'react';
import { messageOf, splitServerError } from '../lib/errors.ts';
import { submittedText, useFieldErrors } from '../lib/form.ts';
import { useTRPC } from '../lib/trpc.ts';
import { Alert } from '../ui/Alert.tsx';
import { Field } from '../ui/Field.tsx';
import { LoadError } from '../ui/LoadError.tsx';
import { useTemplates } from './queries.ts';
import { TemplatePicker } from './TemplatePicker.tsx';
import { useTemplateForm } from './use-template-form.ts';

const textFields = ['body', 'mediaUrls'] as const;

/**
 * The reply box of a thread. Inside the 24-hour window: free text (or a template, on
 * request). Outside it, free text gives way to the template picker, as WhatsApp requires.
 */
export function Composer({
  connectionId,
  customer,
  windowOpen,
  templateRequest,
  onSent,
}: {
  connectionId: string;
  /** The customer's number, E.164. */
  customer: string;
  windowOpen: boolean;
  /** Bumped by "Send as template" on a failed message: opens the picker and focuses it. */
  templateRequest: number;
  onSent: () => void;
}) {
  const [useTemplate, setUseTemplate] = useState(false);
  // Asked for (a button, not the window closing): the picker takes focus once it shows.
  const [focusPicker, setFocusPicker] = useState(0);
  useEffect(() => {
    if (templateRequest === 0) return;
    setUseTemplate(true);
    setFocusPicker((n) => n + 1);
  }, [templateRequest]);

  if (!windowOpen || useTemplate) {
    return (
      <TemplateComposer
        connectionId={connectionId}
        customer={customer}
        focusRequest={focusPicker}
        onSent={onSent}
        onBackToText={windowOpen ? () => setUseTemplate(false) : undefined}
      />
    );
  }
  return (
    <TextComposer
      connectionId={connectionId}
      customer={customer}
      onSent={onSent}
      onUseTemplate={() => {
        setUseTemplate(true);
        setFocusPicker((n) => n + 1);
      }}
    />
  );
}

function TextComposer({
  connectionId,
  customer,
  onSent,
  onUseTemplate,
}: {
  connectionId: string;
  customer: string;
  onSent: () => void;
  onUseTemplate: () => void;
}) {
  const trpc = useTRPC();
  const form = useFieldErrors(textFields);
  const formRef = useRef<HTMLFormElement>(null);
  const send = useMutation(
    trpc.whatsapp.messages.send.mutationOptions({
      onSuccess: () => {
        formRef.current?.reset();
        onSent();
      },
      onError: (error) => {
        form.showServerError(error);
        // A refused send is kept in the thread, failed, with its reason.
        onSent();
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    const value = submittedText(event);
    const mediaUrl = value('mediaUrls').trim();
    const raw = { connectionId, to: customer, body: value('body'), mediaUrls: mediaUrl ? [mediaUrl] : [] };
    // The server normalizes again; it receives what the person typed, checked.
    if (form.validate(sendMessageInput, raw)) send.mutate(raw);
  }

  return (
    <form
      ref={formRef}
      noValidate
      onSubmit={onSubmit}
      className="form composer"
      aria-busy={send.isPending}
      aria-label="Reply"
    >
      <Alert tone="error" alertRef={form.alertRef} title="The message was not sent">
        {form.alertMessageOf(send.error)}
      </Alert>
      <fieldset disabled={send.isPending} className="form__fields">
        <legend className="visually-hidden">Reply</legend>
        <Field label="Message" multiline maxLength={MESSAGE_BODY_MAX} {...form.field('body')} />
        <Field
          label="Media URL (optional)"
          type="url"
          hint="A public https:// link to an image, video, audio file or PDF."
          {...form.field('mediaUrls')}
        />
      </fieldset>
      <div className="form__actions">
        <button type="submit" className="button button--primary" disabled={send.isPending}>
          {send.isPending ? 'Sending…' : 'Send'}
        </button>
        <button type="button" className="button button--quiet" onClick={onUseTemplate}>
          Use a template
        </button>
      </div>
    </form>
  );
}

const recipientNumber = e164Number('Enter the customer’s WhatsApp number, e.g. +14155238886.');

/**
 * A template, its values and a preview; in a thread (`customer` given), or to start a new
 * conversation (a field asks for the customer's number first).
 */
export function TemplateComposer({
  connectionId,
  customer,
  focusRequest = 0,
  onSent,
  onBackToText,
}: {
  connectionId: string;
  customer?: string | undefined;
  /** Changed to move focus to the picker (once the templates have loaded). */
  focusRequest?: number;
  /** After Twilio took the message (or refused it: the thread shows it failed); with the number sent to. */
  onSent: (to: string, outcome: 'sent' | 'refused') => void;
  /** Inside the window: back to free text. */
  onBackToText?: (() => void) | undefined;
}) {
  const { templates, refresh, refreshing, refreshError } = useTemplates(connectionId);
  const legendRef = useRef<HTMLLegendElement>(null);
  const focusedRequest = useRef(0);
  useEffect(() => {
    if (focusRequest === focusedRequest.current || !templates.isSuccess || !legendRef.current) return;
    focusedRequest.current = focusRequest;
    legendRef.current.focus();
  }, [focusRequest, templates.isSuccess]);
  const form = useTemplateForm();
  const trpc = useTRPC();
  const [recipientError, setRecipientError] = useState<string | undefined>();
  const recipientRef = useRef<HTMLInputElement | HTMLTextAreaElement | null>(null);
  const send = useMutation(
    trpc.whatsapp.messages.send.mutationOptions({
      onSuccess: (_message, input) => {
        form.reset();
        onSent(input.to, 'sent');
      },
      onError: (error, input) => {
        // The number is refused at its field (the server's `to`); anything else as a template send's.
        const toError = customer === undefined ? splitServerError(error, ['to']).fieldErrors.to : undefined;
        if (toError) {
          setRecipientError(toError);
          recipientRef.current?.focus();
          return;
        }
        form.showServerError(error);
        onSent(input.to, 'refused');
      },
    }),
  );

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    let to = customer;
    if (to === undefined) {
      const typed = new FormData(event.currentTarget).get('to');
      const parsed = recipientNumber.safeParse(typeof typed === 'string' ? typed : '');
      if (!parsed.success) {
        setRecipientError(parsed.error.issues[0]?.message);
        recipientRef.current?.focus();
        // The template is checked too, so every problem shows at once.
        form.check(templates.data ?? []);
        return;
      }
      setRecipientError(undefined);
      to = parsed.data;
    }
    const template = form.check(templates.data ?? []);
    if (!template) return;
    send.mutate({ connectionId, to, template });
  }

  return (
    <form
      noValidate
      onSubmit={onSubmit}
      className="form composer"
      aria-busy={send.isPending}
      aria-label={customer === undefined ? 'New conversation' : 'Reply with a template'}
    >
      <Alert tone="error" alertRef={form.alertRef} title="The message was not sent">
        {form.alertMessageOf(send.error)}
      </Alert>
      {customer === undefined && (
        <Field
          label="Customer’s WhatsApp number"
          hint="In international format, with + and the country code, e.g. +447700900123."
          name="to"
          type="tel"
          inputMode="tel"
          autoComplete="off"
          error={recipientError}
          inputRef={(element) => {
            recipientRef.current = element;
          }}
          onInput={() => setRecipientError(undefined)}
          disabled={send.isPending}
        />
      )}
      {templates.isPending ? (
        <p role="status" className="muted">
          Loading templates…
        </p>
      ) : templates.isError ? (
        <LoadError
          title="Templates could not be loaded"
          error={templates.error}
          onRetry={() => void templates.refetch()}
        />
      ) : (
        <fieldset disabled={send.isPending} className="form__fields">
          <TemplatePicker
            templates={templates.data}
            selectedSid={form.selectedSid}
            onSelect={form.select}
            values={form.values}
            onValue={form.setValue}
            errors={form.errors}
            registerVariable={form.register}
            legendRef={legendRef}
          />
        </fieldset>
      )}
      <div className="form__actions">
        <button
          type="submit"
          className="button button--primary"
          disabled={send.isPending || !templates.isSuccess}
        >
          {send.isPending ? 'Sending…' : 'Send template'}
        </button>
        {onBackToText && (
          <button type="button" className="button button--quiet" onClick={onBackToText}>
            Write free text instead
          </button>
        )}
        {templates.isSuccess && (
          <button
            type="button"
            className="button button--quiet"
            disabled={refreshing}
            onClick={() => void refresh()}
          >
            {refreshing ? 'Asking Twilio…' : 'Refresh templates'}
          </button>
        )}
      </div>
      {refreshError ? (
        <Alert tone="error" title="Templates could not be refreshed">
          {messageOf(refreshError)}
        </Alert>
      ) : null}
    </form>
  );
}
