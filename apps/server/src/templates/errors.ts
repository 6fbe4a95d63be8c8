import { DomainError } from '../domain-error.ts';

/** A Content SID the connection's Twilio account does not have. */
export class TemplateNotFoundError extends DomainError {
  readonly kind = 'invalid';

  constructor() {
    super(
      "This template is not in the connection's Twilio account (it may have been deleted). Choose one from the list.",
      { field: 'template.contentSid' },
    );
  }
}

/** A template WhatsApp has not approved (pending, rejected, paused, …): Twilio would fail it with 63016. */
export class TemplateNotApprovedError extends DomainError {
  readonly kind = 'invalid';

  constructor(friendlyName: string, reason: string) {
    super(`“${friendlyName}” cannot be sent: ${reason}`, { field: 'template.contentSid' });
  }
}

/**
 * The values sent do not match the template's variables. Twilio would fill a
 * missing one with its sample (the customer reads "Hi Customer_Name") and fail
 * an unknown one, so both are refused here, naming the variable.
 */
export class TemplateVariablesError extends DomainError {
  readonly kind = 'invalid';

  constructor(message: string, key: string) {
    super(message, { field: `template.variables.${key}` });
  }
}
