import { useEffect, useState } from 'react';

/** WhatsApp's customer-service window: free text is allowed this long after the customer's last message. */
export const WINDOW_MS = 24 * 60 * 60 * 1000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** A length of time as a person reads it: "3 h 12 min", "42 min", "less than a minute". */
export function spanInWords(ms: number): string {
  if (ms < MINUTE) return 'less than a minute';
  const hours = Math.floor(ms / HOUR);
  const minutes = Math.floor((ms % HOUR) / MINUTE);
  if (hours === 0) return `${minutes} min`;
  return minutes === 0 ? `${hours} h` : `${hours} h ${minutes} min`;
}

/** How long ago, coarsely: "2 days ago", "5 h ago", "12 min ago". */
export function agoInWords(ms: number): string {
  if (ms < MINUTE) return 'just now';
  if (ms < HOUR) return `${Math.floor(ms / MINUTE)} min ago`;
  if (ms < DAY) return `${Math.floor(ms / HOUR)} h ago`;
  const days = Math.floor(ms / DAY);
  return days === 1 ? '1 day ago' : `${days} days ago`;
}

export type WindowState =
  | { open: true; expiresAt: number; sentence: string; short: string }
  | { open: false; closedAt: number | null; sentence: string; short: string };

/**
 * The window of one conversation, in words. `expiresAt` is the server's answer (null when
 * closed); `lastInboundAt` (when known) says how long ago a closed window closed.
 */
export function windowState(
  expiresAt: string | null,
  lastInboundAt: string | null,
  now: number,
): WindowState {
  const end = expiresAt
    ? Date.parse(expiresAt)
    : lastInboundAt
      ? Date.parse(lastInboundAt) + WINDOW_MS
      : null;
  if (end !== null && end > now) {
    const left = spanInWords(end - now);
    return {
      open: true,
      expiresAt: end,
      sentence: `You can reply freely for ${left}.`,
      short: `${left} left to reply`,
    };
  }
  if (end === null) {
    return {
      open: false,
      closedAt: null,
      sentence:
        'This customer has not written to this number in the last 24 hours: start with an approved template.',
      short: 'Template only',
    };
  }
  return {
    open: false,
    closedAt: end,
    sentence: `The 24-hour window closed ${agoInWords(now - end)}: send an approved template.`,
    short: 'Window closed',
  };
}

/** The current time, moving on every `everyMs` (window states change as time passes). */
export function useNow(everyMs = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}
