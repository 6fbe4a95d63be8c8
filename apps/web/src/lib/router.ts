import { useSyncExternalStore } from 'react';

// A few screens do not need a router library: the History API and one hook.

export const paths = {
  signIn: '/sign-in',
  signUp: '/sign-up',
  whatsappSettings: '/settings/whatsapp',
  inbox: '/inbox',
} as const;

/** The inbox, one number's conversations (`connectionId`), or one customer's thread on it. */
export function inboxPath(connectionId?: string, customer?: string): string {
  if (!connectionId) return paths.inbox;
  const base = `${paths.inbox}/${encodeURIComponent(connectionId)}`;
  // `+` is allowed as it is in a path segment; the number reads as itself in the address bar.
  return customer ? `${base}/${encodeURIComponent(customer).replace(/^%2B/, '+')}` : base;
}

/** What an inbox address points at; null when the path is not the inbox's. */
export function parseInboxPath(pathname: string): { connectionId?: string; customer?: string } | null {
  const parts = pathname.split('/').filter(Boolean);
  if (parts[0] !== 'inbox' || parts.length > 3) return null;
  const decode = (part: string | undefined) => {
    if (part === undefined) return undefined;
    try {
      return decodeURIComponent(part);
    } catch {
      return undefined;
    }
  };
  const connectionId = decode(parts[1]);
  const customer = decode(parts[2]);
  return {
    ...(connectionId ? { connectionId } : {}),
    ...(customer ? { customer } : {}),
  };
}

const listeners = new Set<() => void>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(path: string, options: { replace?: boolean } = {}) {
  if (window.location.pathname === path) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}
