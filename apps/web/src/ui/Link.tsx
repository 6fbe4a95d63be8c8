import type { ReactNode } from 'react';
import { type AppPath, navigate } from '../lib/router.ts';

/** An ordinary link (middle-click, copy address work) that navigates in place. */
export function Link({ to, children, className }: { to: AppPath; children: ReactNode; className?: string }) {
  return (
    <a
      href={to}
      className={className}
      onClick={(event) => {
        if (
          event.defaultPrevented ||
          event.button !== 0 ||
          event.metaKey ||
          event.ctrlKey ||
          event.shiftKey
        ) {
          return;
        }
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
