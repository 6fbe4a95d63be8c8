import { DomainError } from '../domain-error.ts';

/** Not in the caller's organization (row-level security hides it), or gone. */
export class ConnectionNotFoundError extends DomainError {
  readonly kind = 'not_found';

  constructor() {
    super('No such WhatsApp connection in your organization.');
  }
}

/**
 * The number is connected already. The message says whose only when the caller
 * may know: their own organization, or "another" without naming it.
 */
export class NumberAlreadyConnectedError extends DomainError {
  readonly kind = 'conflict';
}

/** Sending through a connection an owner or admin paused. */
export class ConnectionPausedError extends DomainError {
  readonly kind = 'unmet_condition';

  constructor() {
    super(
      'Sending from this WhatsApp number is paused. An owner or admin can resume it with "Resume sending" in Settings > WhatsApp.',
    );
  }
}

/** Acting on a disconnected connection: its Auth Token is erased, only its history is kept. */
export class ConnectionDisconnectedError extends DomainError {
  readonly kind = 'unmet_condition';

  constructor() {
    super(
      'This WhatsApp number is disconnected: its Auth Token was erased. An owner or admin can connect it again in Settings > WhatsApp; its history continues.',
    );
  }
}

/** The stored Auth Token cannot be decrypted (its key is gone): it must be entered again. */
export class StoredTokenUnreadableError extends DomainError {
  readonly kind = 'unmet_condition';

  constructor() {
    super(
      'The stored Auth Token for this connection cannot be read (its encryption key is gone). Enter the Auth Token again.',
      { field: 'authToken' },
    );
  }
}
