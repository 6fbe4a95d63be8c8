import { useEffect, useRef } from 'react';

let firstScreen = true;

/**
 * The screen's h1, which also names the browser tab. After a navigation inside the
 * app it takes focus, so keyboard and screen-reader users start at the top of the
 * new screen (not on the first load, where the browser already does the right thing).
 */
export function PageHeading({ children }: { children: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} · WhatsApp channel`;
  }, [children]);
  useEffect(() => {
    if (firstScreen) {
      firstScreen = false;
      return;
    }
    ref.current?.focus();
  }, []);
  return (
    <h1 ref={ref} tabIndex={-1}>
      {children}
    </h1>
  );
}
