import type { TemplateApproval, WhatsappTemplate } from '@app/contracts';
import { useId } from 'react';
import { Field, type FieldControl } from '../ui/Field.tsx';
import { fillTemplate } from './template-text.ts';

const approvalLabels: Record<TemplateApproval, string> = {
  approved: 'Approved',
  pending: 'Waiting for WhatsApp',
  received: 'Waiting for WhatsApp',
  rejected: 'Rejected',
  paused: 'Paused by WhatsApp',
  disabled: 'Disabled by WhatsApp',
  unsubmitted: 'Not submitted',
};
const approvalBadges: Record<TemplateApproval, string> = {
  approved: 'badge--processed',
  pending: 'badge--pending',
  received: 'badge--pending',
  rejected: 'badge--failed',
  paused: 'badge--pending',
  disabled: 'badge--failed',
  unsubmitted: 'badge--muted',
};

/** Why a template cannot be picked: the server's sentence, with WhatsApp's reason for a rejection. */
function notSelectableBecause(template: WhatsappTemplate): string {
  const reason = template.unavailableReason ?? 'WhatsApp has not approved it.';
  if (
    template.approval === 'rejected' &&
    template.rejectionReason &&
    !reason.includes(template.rejectionReason)
  )
    return `${reason} Reason: ${template.rejectionReason}.`;
  return reason;
}

/**
 * The account's templates: approved ones can be picked, the others are listed with their
 * status and reason so a person knows why they cannot. Then a field per variable and a
 * preview of exactly what the customer will read.
 */
export function TemplatePicker({
  templates,
  selectedSid,
  onSelect,
  values,
  onValue,
  errors,
  registerVariable,
  legendRef,
}: {
  templates: readonly WhatsappTemplate[];
  selectedSid: string | null;
  onSelect: (sid: string) => void;
  values: Readonly<Record<string, string>>;
  onValue: (name: string, value: string) => void;
  /** A message per variable name (or `template` for the choice itself). */
  errors: Readonly<Record<string, string | undefined>>;
  registerVariable?: (name: string) => (element: FieldControl | null) => void;
  legendRef?: React.Ref<HTMLLegendElement>;
}) {
  const id = useId();
  const approved = templates.filter((t) => t.selectable);
  const selected = approved.find((t) => t.sid === selectedSid) ?? null;
  const choiceError = errors.template;
  return (
    <div className="templates">
      <fieldset
        className="templates__choice"
        aria-describedby={choiceError ? `${id}-error` : undefined}
        aria-invalid={choiceError ? true : undefined}
      >
        <legend ref={legendRef} tabIndex={-1}>
          Template
        </legend>
        {approved.length === 0 && (
          <p className="templates__none">
            No template of this Twilio account is approved by WhatsApp yet, so nothing can be sent outside the
            24-hour window. In the Twilio Console, open Messaging &gt; Templates (the Content Template
            Builder), create a template and submit it for WhatsApp approval; approved templates show here.
          </p>
        )}
        {choiceError && (
          <p className="field__error" id={`${id}-error`}>
            {choiceError}
          </p>
        )}
        <ul className="templates__list">
          {templates.map((template) => {
            const selectable = template.selectable;
            const optionId = `${id}-${template.sid}`;
            return (
              <li
                key={template.sid}
                className={`template-option${selectable ? '' : ' template-option--unavailable'}${
                  template.sid === selectedSid ? ' template-option--selected' : ''
                }`}
              >
                <input
                  type="radio"
                  id={optionId}
                  name={`${id}-template`}
                  value={template.sid}
                  checked={selectable && template.sid === selectedSid}
                  disabled={!selectable}
                  onChange={() => onSelect(template.sid)}
                  aria-describedby={`${optionId}-about`}
                />
                <div className="template-option__text">
                  <label htmlFor={optionId} className="template-option__name">
                    {template.friendlyName}
                  </label>{' '}
                  <span className={`badge ${approvalBadges[template.approval]}`}>
                    {approvalLabels[template.approval]}
                  </span>
                  <p className="template-option__about" id={`${optionId}-about`}>
                    <span className="template-option__language">{template.language}</span>
                    {' · '}
                    {selectable ? template.preview : notSelectableBecause(template)}
                  </p>
                </div>
              </li>
            );
          })}
        </ul>
      </fieldset>
      {selected && (
        <>
          {selected.variables.length > 0 && (
            <fieldset className="templates__variables">
              <legend>Values for {selected.friendlyName}</legend>
              {selected.variables.map((variable) => (
                <Field
                  key={`${selected.sid}-${variable.key}`}
                  label={`{{${variable.key}}}`}
                  hint={`For example: ${variable.sample}`}
                  name={`variable-${variable.key}`}
                  autoComplete="off"
                  value={values[variable.key] ?? ''}
                  error={errors[variable.key]}
                  {...(registerVariable ? { inputRef: registerVariable(variable.key) } : {})}
                  onChange={(event) => onValue(variable.key, event.currentTarget.value)}
                />
              ))}
            </fieldset>
          )}
          <TemplatePreview template={selected} values={values} />
        </>
      )}
    </div>
  );
}

/** Exactly what the customer will read, updated as the values are typed. */
function TemplatePreview({
  template,
  values,
}: {
  template: WhatsappTemplate;
  values: Readonly<Record<string, string>>;
}) {
  const id = useId();
  const missing = template.variables.filter((v) => !values[v.key]?.trim()).map((v) => `{{${v.key}}}`);
  return (
    <section className="template-preview" aria-labelledby={id}>
      <h3 id={id}>What the customer will read</h3>
      <div className="bubble bubble--outbound template-preview__bubble">
        <p className="bubble__body">{fillTemplate(template.body, values)}</p>
        {template.buttons.length > 0 && (
          <ul className="template-preview__buttons" aria-label="Buttons the customer can tap">
            {template.buttons.map((button) => (
              <li key={button}>{button}</li>
            ))}
          </ul>
        )}
      </div>
      {missing.length > 0 && <p className="muted">Still to fill in: {missing.join(', ')}.</p>}
    </section>
  );
}
