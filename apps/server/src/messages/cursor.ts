import { UUID_PATTERN } from '@app/contracts';
import { DomainError } from '../domain-error.ts';

/** A page cursor this server did not make, or one from before a format change. */
export class InvalidCursorError extends DomainError {
  readonly kind = 'invalid';

  constructor() {
    super('That page of the conversation no longer exists. Reload the conversation.', { field: 'cursor' });
  }
}

/**
 * A position in a conversation ordered by (created_at, id), newest first. The
 * timestamp keeps PostgreSQL's microseconds (a JavaScript Date would round them
 * and skip or repeat rows created in the same millisecond).
 */
export interface ConversationPosition {
  /** created_at in UTC, `YYYY-MM-DDTHH:MM:SS.ffffffZ` */
  createdAt: string;
  id: string;
}

const timestampPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

export function encodeCursor(position: ConversationPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ConversationPosition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  if (
    Array.isArray(parsed) &&
    parsed.length === 2 &&
    typeof parsed[0] === 'string' &&
    typeof parsed[1] === 'string' &&
    timestampPattern.test(parsed[0]) &&
    UUID_PATTERN.test(parsed[1])
  ) {
    return { createdAt: parsed[0], id: parsed[1] };
  }
  throw new InvalidCursorError();
}
