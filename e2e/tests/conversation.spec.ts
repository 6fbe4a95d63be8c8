import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';
import { conversationList, openInboxFromCard, openThread } from '../support/inbox.ts';

test('a customer writes, the owner replies from the inbox, and the ticks reach read without a reload', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Conversation'));
  await expect(page.getByRole('region', { name: 'Connect a WhatsApp number' })).toBeVisible();
  await snap('connect-form');

  const { account, number } = await connectNewSender(page, simulator, 'Bakery');
  const card = connectionCard(page, 'Bakery');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  await openInboxFromCard(page, number);
  await expect(conversationList(page)).toContainText('No conversations yet');

  // A marker on the window: it would be gone if the page reloaded.
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  // (a) The customer writes first: the conversation shows in the list, the message in its thread.
  const customer = 'whatsapp:+447700900123';
  const inbound = await simulator.deliverInbound({
    to: number,
    from: customer,
    profileName: 'Ana Souza',
    body: 'Hello, do you still have sourdough today?',
  });
  expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
  const row = conversationList(page).getByRole('link').filter({ hasText: 'Ana Souza' });
  await expect(row).toContainText('Hello, do you still have sourdough today?');
  await expect(row).toContainText('1 unread');
  const conversation = await openThread(page, 'Ana Souza');
  await expect(conversation).toContainText(/You can reply freely for 2[34] h/);
  const log = conversation.getByRole('list', { name: 'Messages, oldest first' });
  const question = log.getByRole('listitem').filter({ hasText: 'Hello, do you still have sourdough today?' });
  await expect(question).toContainText('Ana Souza (+447700900123)');

  // (b) The reply goes to the customer of the thread.
  // An empty message is refused at its field, which takes the focus and says why.
  await conversation.getByRole('button', { name: 'Send', exact: true }).click();
  const message = conversation.getByLabel('Message', { exact: true });
  await expect(message).toBeFocused();
  await expect(message).toHaveAttribute('aria-invalid', 'true');
  await expect(conversation.getByText('Write a message, or attach a media URL.')).toBeVisible();
  // Another customer writing meanwhile gets a conversation of their own; the open thread stays on Ana.
  await simulator.deliverInbound({ to: number, from: 'whatsapp:+447700900555', body: 'Me too?' });
  await expect(conversationList(page).getByRole('link').filter({ hasText: 'Me too?' })).toBeVisible();
  // Ana writes again after it: once that shows in the thread, the thread has been read
  // since "Me too?" was stored, so its absence means something.
  await simulator.deliverInbound({
    to: number,
    from: customer,
    profileName: 'Ana Souza',
    body: 'Two, please.',
  });
  await expect(log.getByRole('listitem').filter({ hasText: 'Two, please.' })).toBeVisible();
  await expect(log).not.toContainText('Me too?');
  const reply = 'Yes, two loaves left. We close at 6 pm.';
  await conversation.getByLabel('Message', { exact: true }).fill(reply);
  await conversation.getByRole('button', { name: 'Send', exact: true }).click();
  await expect(conversation.getByLabel('Message', { exact: true })).toHaveValue('');

  await expect
    .poll(async () =>
      (await simulator.messages(account.sid))
        .filter((m) => m.direction === 'outbound-api')
        .map((m) => ({ from: m.from, to: m.to, body: m.body })),
    )
    .toEqual([{ from: `whatsapp:${number}`, to: customer, body: reply }]);

  const answer = log.getByRole('listitem').filter({ hasText: reply });
  await expect(answer).toContainText('To +447700900123');
  // The simulated customer's phone receives and reads it; the polled thread follows.
  await expect(answer.getByTitle('Read', { exact: true })).toBeVisible();
  await expect(answer).toHaveAttribute('data-status', 'read');
  // Oldest first, like a chat; the other customer's message is not in this thread.
  await expect(log.getByRole('listitem')).toHaveCount(3);
  await expect(log.getByRole('listitem').first()).toContainText('sourdough');
  await expect(log.getByRole('listitem').nth(1)).toContainText('Two, please.');
  // A reply counts as having read the conversation.
  await expect(row).not.toContainText('unread');
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  await expectAccessible('inbox, with a conversation');
  await snap('conversation');

  // (c) The window closes on Twilio's side before ours knows (Twilio is the judge): the free
  // text is accepted, then fails with 63016, and the failed message offers a template.
  await simulator.openConversation(account.sid, {
    sender: number,
    customer,
    lastInboundAt: new Date(Date.now() - 25 * 3_600_000).toISOString(),
  });
  await conversation.getByLabel('Message', { exact: true }).fill('Your order is ready.');
  await conversation.getByRole('button', { name: 'Send', exact: true }).click();
  const failed = log.getByRole('listitem').filter({ hasText: 'Your order is ready.' });
  await expect(failed).toContainText('To +447700900123');
  await expect(failed.getByTitle('Failed', { exact: true })).toBeVisible();
  await expect(failed).toContainText(
    'The customer had not written in the last 24 hours when WhatsApp received this message (63016), so only an approved template reaches them now. Send it again as a template.',
  );
  await expectAccessible('inbox, with a failed message');
  await snap('conversation-failed');
  await failed.getByRole('button', { name: 'Send as template' }).click();
  await expect(conversation.getByRole('group', { name: 'Template' })).toBeVisible();
  await expect(conversation.getByText('Template', { exact: true })).toBeFocused();
});
