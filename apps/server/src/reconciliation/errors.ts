import { DomainError } from '../domain-error.ts';

/** Another reconciliation of this connection is running (in this process or another). */
export class ReconciliationBusyError extends DomainError {
  readonly kind = 'conflict';

  constructor() {
    super('This connection is being checked against Twilio right now. Try again in a minute.');
  }
}
