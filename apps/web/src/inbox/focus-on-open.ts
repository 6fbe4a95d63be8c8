import { type RefObject, useEffect } from 'react';

let firstOpen = true;

/**
 * A pane opened by a click (a conversation, New conversation) takes focus at its heading, so
 * keyboard and screen-reader users start there; the pane a page load opens leaves focus alone.
 */
export function useFocusOnOpen(ref: RefObject<HTMLElement | null>) {
  useEffect(() => {
    const initial = firstOpen && document.activeElement === document.body;
    firstOpen = false;
    if (!initial) ref.current?.focus();
  }, [ref]);
}
