import type { Page } from '@playwright/test';

/**
 * Holds the browser's next request whose URL contains `urlPart` until `release()`
 * is called, so a test can look at the screen while the request is in flight.
 */
export async function holdRequest(page: Page, urlPart: string) {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(
    (url) => url.pathname.includes(urlPart),
    async (route) => {
      await released;
      await route.continue();
    },
    { times: 1 },
  );
  return { release };
}
