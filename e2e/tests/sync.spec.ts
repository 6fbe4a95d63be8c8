import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';
import { backToSettings, conversationList, openInboxFromCard } from '../support/inbox.ts';

test('Sync now recovers a message whose webhook never reached us, and says so', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Sync'));
  const { account, number } = await connectNewSender(page, simulator, 'Night shift');
  const card = connectionCard(page, 'Night shift');
  await expect(card.getByText('Webhooks configured')).toBeVisible();

  // Someone edits the webhook in Twilio's console by mistake; the customer writes meanwhile.
  const sender = (await simulator.account(account.sid)).senders.find(
    (s) => s.senderId === `whatsapp:${number}`,
  );
  const ourUrl = sender?.webhook.callback_url;
  expect(ourUrl).toBeTruthy();
  await simulator.setSenderInboundWebhook(account, sender!.sid, 'http://127.0.0.1:9/nowhere');
  const lost = await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+447700900777',
    body: 'Did my order ship?',
  });
  expect(lost.deliveries.map((d) => d.outcome)).not.toContain('delivered');
  await simulator.setSenderInboundWebhook(account, sender!.sid, ourUrl!);
  await openInboxFromCard(page, number);
  await expect(conversationList(page)).toContainText('No conversations yet');
  await expect(conversationList(page)).not.toContainText('Did my order ship?');
  await backToSettings(page);

  const syncButton = card.getByRole('button', { name: 'Sync now' });
  await expect(syncButton).toHaveAccessibleDescription(/did not reach us\. Not checked yet\./);
  await syncButton.click();
  await expect(card.getByRole('status').filter({ hasText: 'Checked Twilio' })).toHaveText(
    /^Checked Twilio from .+ to .+: 1 message recovered\.$/,
  );
  await expect(syncButton).toHaveAccessibleDescription(/Last checked/);
  await expectAccessible('settings, after Sync now');
  await snap('sync-now-recovered');
  await openInboxFromCard(page, number);
  await expect(conversationList(page)).toContainText('Did my order ship?');
  await backToSettings(page);

  // Nothing else is missing now.
  await syncButton.click();
  await expect(card.getByRole('status').filter({ hasText: 'Checked Twilio' })).toHaveText(
    /^Checked Twilio from .+ to .+\. Nothing was missing\.$/,
  );
});
