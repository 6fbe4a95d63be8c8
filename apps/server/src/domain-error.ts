/**
 * What went wrong, in the domain's words; `trpc/domain-errors.ts` turns each kind
 * into an API error code, in one place.
 */
export type DomainErrorKind =
  /** The input cannot be acted on as given. */
  | 'invalid'
  /** The thing asked for does not exist, or is not the caller's to see. */
  | 'not_found'
  /** It clashes with what is stored (a number connected twice, an email taken). */
  | 'conflict'
  /** The stored state does not allow it yet (a paused connection, an unreadable token). */
  | 'unmet_condition'
  /** A third party asks us to slow down. */
  | 'rate_limited'
  /** A third party could not be reached; nothing happened. */
  | 'unavailable'
  /** A third party answered with a failure of its own. */
  | 'upstream_failed'
  /** A third party did not answer in time; it may have acted. */
  | 'outcome_unknown';

/**
 * An error a person can act on: `message` is shown as it is, and `field`, when
 * set, names the input to look at. Services throw these, never transport errors.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  readonly field: string | undefined;

  constructor(message: string, options: { field?: string | undefined } = {}) {
    super(message);
    this.name = new.target.name;
    this.field = options.field;
  }
}
