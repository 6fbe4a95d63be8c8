import { useSyncExternalStore } from 'react';

// A few screens do not need a router library: the History API and one hook.

export const paths = {
  signIn: '/sign-in',
  signUp: '/sign-up',
  whatsappSettings: '/settings/whatsapp',
} as const;
export type AppPath = (typeof paths)[keyof typeof paths];

const listeners = new Set<() => void>();

function subscribe(listener: () => void) {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

export function navigate(path: AppPath, options: { replace?: boolean } = {}) {
  if (window.location.pathname === path) return;
  if (options.replace) window.history.replaceState(null, '', path);
  else window.history.pushState(null, '', path);
  for (const listener of listeners) listener();
}

export function usePathname(): string {
  return useSyncExternalStore(subscribe, () => window.location.pathname);
}
