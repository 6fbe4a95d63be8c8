import path from 'node:path';
import type { Locator } from '@playwright/test';
import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';

const screenshots = path.join(import.meta.dirname, '../artifacts/screenshots');

/** The panel alone, for looking at. */
async function snapPanel(panel: Locator, name: string, project: string) {
  await panel.screenshot({
    path: path.join(screenshots, `${project}--health-${name}.png`),
    animations: 'disabled',
  });
}

test('the health panel shows drift after the webhook is changed at Twilio; Repair makes it healthy again', async ({
  page,
  simulator,
  expectAccessible,
}, testInfo) => {
  await signUp(page, newOwner('Health'));
  const { account } = await connectNewSender(page, simulator, 'Health line');
  const card = connectionCard(page, 'Health line');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  const [sender] = (await simulator.account(account.sid)).senders;
  if (!sender) throw new Error('the account has no sender');
  // This connection's own URL, as its card shows it for pasting into Twilio.
  const ownUrl = await card.getByLabel('Incoming messages URL').inputValue();
  expect(ownUrl).toMatch(/\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}$/);
  expect(sender.webhook.callback_url).toBe(ownUrl);

  const panel = card.getByRole('region', { name: 'Health' });
  await expect(panel.getByRole('status').filter({ hasText: 'Healthy.' })).toContainText(
    'Healthy. The sender is ONLINE and Twilio sends its webhooks to us.',
  );
  await expect(panel).toContainText('Twilio sends messages and status updates to this number');
  // An owner reads the counts in the delivery log beside it (one table, kept current).
  await expect(panel).toContainText('are in the delivery log below');
  await expect(card.getByRole('region', { name: 'Deliveries in the last 24 hours' })).toBeVisible();
  await snapPanel(panel, 'healthy', testInfo.project.name);

  // Someone points the sender elsewhere in Twilio's console.
  await simulator.changeSender(account.sid, sender.sid, {
    webhook: { callbackUrl: 'https://someone-else.example/hook' },
  });
  await panel.getByRole('button', { name: 'Check again' }).click();
  const summary = panel.getByRole('status').filter({ hasText: 'Not working.' });
  await expect(summary).toContainText("Twilio no longer sends this number's messages to us: Repair.");
  const drift = panel.getByRole('table', { name: 'Webhook settings that differ at Twilio' });
  await expect(drift.getByRole('row', { name: /webhook\.callback_url/ })).toContainText(
    'https://someone-else.example/hook',
  );
  await expectAccessible('settings, health panel with drift');
  await snapPanel(panel, 'drift', testInfo.project.name);

  // Repair, by keyboard: the focus lands on the new verdict.
  const repair = panel.getByRole('button', { name: 'Repair' });
  await repair.focus();
  await page.keyboard.press('Enter');
  await expect(panel.getByRole('status').filter({ hasText: 'Healthy.' })).toBeVisible();
  await expect(panel.getByRole('button', { name: 'Repair' })).toHaveCount(0);
  await expect(panel.getByRole('status').filter({ hasText: 'Healthy.' })).toBeFocused();
  expect((await simulator.account(account.sid)).senders[0]?.webhook.callback_url).toBe(ownUrl);
  await expectAccessible('settings, health panel repaired');
});

test("an offline sender: the panel says so with Twilio's reason", async ({
  page,
  simulator,
  expectAccessible,
}, testInfo) => {
  await signUp(page, newOwner('Offline'));
  const { account } = await connectNewSender(page, simulator, 'Offline line');
  const card = connectionCard(page, 'Offline line');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  const [sender] = (await simulator.account(account.sid)).senders;
  if (!sender) throw new Error('the account has no sender');
  await simulator.changeSender(account.sid, sender.sid, {
    status: 'OFFLINE',
    qualityRating: 'LOW',
    offlineReasons: [
      {
        code: '63020',
        message: 'The WhatsApp Business Account was disabled by Meta',
        moreInfo: 'https://www.twilio.com/docs/api/errors/63020',
      },
    ],
  });

  const panel = card.getByRole('region', { name: 'Health' });
  await panel.getByRole('button', { name: 'Check again' }).click();
  await expect(panel.getByRole('status').filter({ hasText: 'Not working.' })).toContainText(
    'Twilio reports this WhatsApp sender OFFLINE: The WhatsApp Business Account was disabled by Meta (63020).',
  );
  await expect(panel).toContainText('Offline OFFLINE');
  await expect(panel.getByRole('link', { name: 'More about this reason' })).toHaveAttribute(
    'href',
    'https://www.twilio.com/docs/api/errors/63020',
  );
  await expectAccessible('settings, health panel with an offline sender');
  await snapPanel(panel, 'offline', testInfo.project.name);
});
