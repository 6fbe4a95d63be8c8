import type { Form } from './rest.ts';
import { single } from './rest.ts';

export const MESSAGING_ORIGIN = 'https://messaging.twilio.com';

function pageNumbers(query: Form, defaultSize: number) {
  const pageSize = Math.min(Math.max(Number(single(query.PageSize) ?? defaultSize) || defaultSize, 1), 1000);
  const page = Math.max(Number(single(query.Page) ?? 0) || 0, 0);
  return { pageSize, page };
}

function withPage(base: string, query: Form, page: number, pageSize: number): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (k !== 'Page' && k !== 'PageSize' && k !== 'PageToken') params.set(k, single(v) ?? '');
  }
  params.set('PageSize', String(pageSize));
  params.set('Page', String(page));
  return `${base}?${params.toString()}`;
}

/**
 * A page of a v2010 list, in Twilio's envelope; `key` names the list
 * (`messages`, `incoming_phone_numbers`). With `idOf`, the next page's URI
 * carries a `PageToken` naming the last item, as Twilio's Messages list does,
 * so items added meanwhile do not shift the pages that follow.
 */
export function v2010Page<T>(base: string, query: Form, key: string, items: T[], idOf?: (item: T) => string) {
  const { pageSize, page } = pageNumbers(query, 50);
  const token = single(query.PageToken);
  const afterToken = token && idOf ? items.findIndex((item) => `PA${idOf(item)}` === token) + 1 : 0;
  const start = afterToken > 0 ? afterToken : page * pageSize;
  const onPage = items.slice(start, start + pageSize);
  const hasNext = start + pageSize < items.length;
  const last = onPage.at(-1);
  const nextToken = idOf && last !== undefined ? `&PageToken=PA${idOf(last)}` : '';
  return {
    end: start + Math.max(onPage.length - 1, 0),
    first_page_uri: withPage(base, query, 0, pageSize),
    next_page_uri: hasNext ? `${withPage(base, query, page + 1, pageSize)}${nextToken}` : null,
    page,
    page_size: pageSize,
    previous_page_uri: page > 0 ? withPage(base, query, page - 1, pageSize) : null,
    start,
    uri: withPage(base, query, page, pageSize),
    [key]: onPage,
  };
}

export const CONTENT_ORIGIN = 'https://content.twilio.com';

/** A page of a Messaging v2 list, with its `meta` block. */
export function v2Page(path: string, key: string, query: Form, items: unknown[]) {
  return metaPage(`${MESSAGING_ORIGIN}${path}`, key, query, items);
}

/**
 * A page of a list in Twilio's newer APIs (Content v1, Messaging v1 and v2):
 * the items under `key` and a `meta` block of absolute URLs. With `idOf`, the
 * next page's URL carries a `PageToken` naming the last item, as Twilio's do.
 */
export function metaPage<T>(base: string, key: string, query: Form, items: T[], idOf?: (item: T) => string) {
  const { pageSize, page } = pageNumbers(query, 50);
  const token = single(query.PageToken);
  const afterToken = token && idOf ? items.findIndex((item) => `PA${idOf(item)}` === token) + 1 : 0;
  const start = afterToken > 0 ? afterToken : page * pageSize;
  const onPage = items.slice(start, start + pageSize);
  const last = onPage.at(-1);
  const nextToken = idOf && last !== undefined ? `&PageToken=PA${idOf(last)}` : '';
  return {
    [key]: onPage,
    meta: {
      page,
      page_size: pageSize,
      first_page_url: withPage(base, query, 0, pageSize),
      previous_page_url: page > 0 ? withPage(base, query, page - 1, pageSize) : null,
      url: withPage(base, query, page, pageSize),
      next_page_url:
        start + pageSize < items.length ? `${withPage(base, query, page + 1, pageSize)}${nextToken}` : null,
      key,
    },
  };
}
