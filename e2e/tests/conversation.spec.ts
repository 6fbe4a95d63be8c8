import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';

test('a customer writes, the owner replies from the conversation, and the ticks reach read without a reload', async ({
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
  const conversation = card.getByRole('region', { name: `Conversation on ${number}` });
  await expect(conversation).toContainText('No messages yet');

  // A marker on the window: it would be gone if the page reloaded.
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });

  // (a) The customer writes first: the message shows in the conversation.
  const customer = 'whatsapp:+447700900123';
  const inbound = await simulator.deliverInbound({
    to: number,
    from: customer,
    profileName: 'Ana Souza',
    body: 'Hello, do you still have sourdough today?',
  });
  expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
  const log = conversation.getByRole('list', { name: 'Messages, oldest first' });
  const question = log.getByRole('listitem').filter({ hasText: 'Hello, do you still have sourdough today?' });
  await expect(question).toContainText('Ana Souza (+447700900123)');

  // (b) The reply goes to the customer who wrote (the form suggests them).
  await expect(conversation.getByLabel('To', { exact: true })).toHaveValue(customer);
  // An empty message is refused at its field, which takes the focus and says why.
  await conversation.getByRole('button', { name: 'Send', exact: true }).click();
  const message = conversation.getByLabel('Message', { exact: true });
  await expect(message).toBeFocused();
  await expect(message).toHaveAttribute('aria-invalid', 'true');
  await expect(conversation.getByText('Write a message, or attach a media URL.')).toBeVisible();
  // Another customer writing meanwhile does not swap the recipient under the person.
  await simulator.deliverInbound({ to: number, from: 'whatsapp:+447700900555', body: 'Me too?' });
  await expect(log.getByRole('listitem').filter({ hasText: 'Me too?' })).toBeVisible();
  await expect(conversation.getByLabel('To', { exact: true })).toHaveValue(customer);
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
  // The simulated customer's phone receives and reads it; the polled conversation follows.
  await expect(answer.getByTitle('Read', { exact: true })).toBeVisible();
  await expect(answer).toHaveAttribute('data-status', 'read');
  // Oldest first, like a chat.
  await expect(log.getByRole('listitem')).toHaveCount(3);
  await expect(log.getByRole('listitem').first()).toContainText('sourdough');
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);

  await expectAccessible('settings, with a conversation');
  await snap('conversation');

  // (c) A number that never wrote is outside WhatsApp's 24-hour window: Twilio fails the send (63016).
  const stranger = 'whatsapp:+447700900999';
  await conversation.getByLabel('To', { exact: true }).fill(stranger);
  await conversation.getByLabel('Message', { exact: true }).fill('Your order is ready.');
  await conversation.getByRole('button', { name: 'Send', exact: true }).click();
  const failed = log.getByRole('listitem').filter({ hasText: 'Your order is ready.' });
  await expect(failed).toContainText('To +447700900999');
  await expect(failed.getByTitle('Failed', { exact: true })).toBeVisible();
  await expect(failed).toContainText(
    'The recipient has not messaged this number in the last 24 hours (63016). Outside that window WhatsApp only allows approved message templates.',
  );
  await expectAccessible('settings, with a failed message');
  await snap('conversation-failed');
});
