import { messageOf } from '../lib/errors.ts';
import { Alert } from './Alert.tsx';

/** A load that failed: what it was, why it failed, and (where asking again can help) a retry. */
export function LoadError({
  title,
  error,
  onRetry,
}: {
  title?: string;
  error: unknown;
  onRetry?: () => void;
}) {
  return (
    <>
      <Alert tone="error" title={title}>
        {messageOf(error)}
      </Alert>
      {onRetry && (
        <button type="button" className="button" onClick={onRetry}>
          Try again
        </button>
      )}
    </>
  );
}
