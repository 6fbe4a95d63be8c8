import type { ReactNode, Ref } from 'react';

/**
 * A message region that is always in the page, so screen readers announce what
 * appears in it. `tone` error is assertive (role=alert), the others polite.
 */
export function Alert({
  tone,
  children,
  title,
  alertRef,
}: {
  tone: 'error' | 'success' | 'info';
  children?: ReactNode;
  title?: string;
  alertRef?: Ref<HTMLDivElement>;
}) {
  const empty = children === null || children === undefined || children === false || children === '';
  return (
    <div
      ref={alertRef}
      role={tone === 'error' ? 'alert' : 'status'}
      tabIndex={-1}
      className={empty ? 'alert-region' : `alert alert--${tone}`}
    >
      {!empty && (
        <>
          {title && <p className="alert__title">{title}</p>}
          <div>{children}</div>
        </>
      )}
    </div>
  );
}
