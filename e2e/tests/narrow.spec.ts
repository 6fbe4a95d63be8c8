import type { Page } from '@playwright/test';
import { connectionCard, expect, fillConnectFormWithNewSender, newOwner, test } from '../support/fixtures.ts';
import { conversationList, openInboxFromCard, openThread } from '../support/inbox.ts';

/** Nothing on the screen needs sideways scrolling. */
async function expectNoHorizontalScroll(page: Page) {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
}

test('at 360 px wide, every screen fits and works by keyboard', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  const owner = newOwner('Narrow');
  await page.goto('/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expectNoHorizontalScroll(page);
  await snap('sign-in');

  await page.getByRole('link', { name: 'Create an organization' }).click();
  await expect(page.getByRole('heading', { name: 'Create your organization' })).toBeFocused();
  await expectNoHorizontalScroll(page);
  await expectAccessible('sign up, narrow');
  await snap('sign-up');

  // Keyboard only: type, Tab to the next field, Enter submits.
  await page.getByLabel('Organization name', { exact: true }).focus();
  await page.keyboard.type(owner.organizationName);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await expect(page.getByLabel('Email', { exact: true })).toBeFocused();
  await page.keyboard.type(owner.email);
  await page.keyboard.press('Tab');
  await page.keyboard.type(owner.password);
  await page.keyboard.press('Enter');
  await expect(page.getByRole('heading', { level: 1, name: 'WhatsApp' })).toBeFocused();
  await expectNoHorizontalScroll(page);
  await snap('settings-empty');

  const { number } = await fillConnectFormWithNewSender(page, simulator, 'Mobile support line');
  await page.getByLabel('Name (optional)', { exact: true }).press('Enter');
  const card = connectionCard(page, 'Mobile support line');
  await expect(card.getByRole('heading', { name: 'Mobile support line' })).toBeFocused();
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  await expectNoHorizontalScroll(page);
  await expectAccessible('settings, connected, narrow');
  await snap('connected');

  // The inbox: the list, then one thread at a time with a way back.
  await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+447700900135',
    profileName: 'Noor',
    body: 'Can I pick up at 8?',
  });
  await openInboxFromCard(page, number);
  await expect(conversationList(page).getByRole('link').filter({ hasText: 'Noor' })).toBeVisible();
  await expectNoHorizontalScroll(page);
  await expectAccessible('inbox, narrow');
  await snap('inbox');
  const thread = await openThread(page, 'Noor');
  await expect(conversationList(page)).toBeHidden();
  await expect(thread.getByLabel('Message', { exact: true })).toBeVisible();
  await expectNoHorizontalScroll(page);
  await expectAccessible('inbox thread, narrow');
  await snap('inbox-thread');
  await thread.getByRole('link', { name: 'All conversations' }).click();
  await expect(conversationList(page)).toBeVisible();
});
