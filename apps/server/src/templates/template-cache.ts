import type { WhatsappTemplate } from '@app/contracts';
import { LRUCache } from 'lru-cache';

/** How long a connection's template list is reused before Twilio is asked again. */
export const TEMPLATE_CACHE_TTL_MS = 60_000;

/**
 * Each connection's templates, as last read from Twilio, for a minute: opening
 * a conversation or typing in the picker must not cost a Content API call each
 * time. Keyed by connection and Account SID (an update may change the account).
 * Only a cache: every read still checks, under row-level security, that the
 * caller may see the connection before anything cached is returned.
 */
export class TemplateCache {
  readonly #entries = new LRUCache<string, WhatsappTemplate[]>({ max: 1_000, ttl: TEMPLATE_CACHE_TTL_MS });

  get(connectionId: string, accountSid: string): WhatsappTemplate[] | undefined {
    return this.#entries.get(`${connectionId}:${accountSid}`);
  }

  set(connectionId: string, accountSid: string, templates: WhatsappTemplate[]): void {
    this.#entries.set(`${connectionId}:${accountSid}`, templates);
  }
}

const caches = new WeakMap<object, TemplateCache>();

/** The one cache of a server's services (a process may run several servers, as tests do). */
export function templateCacheOf(services: object): TemplateCache {
  let cache = caches.get(services);
  if (!cache) {
    cache = new TemplateCache();
    caches.set(services, cache);
  }
  return cache;
}
