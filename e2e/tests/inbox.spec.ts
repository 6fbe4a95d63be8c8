import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';
import {
  conversationList,
  openInboxFromCard,
  openThread,
  placeLastInbound,
  seedTemplates,
} from '../support/inbox.ts';

test('a customer who wrote 25 hours ago gets an approved template with its variables; delivered, then read', async ({
  page,
  run,
  simulator,
  snap,
  expectAccessible,
}) => {
  test.slow();
  await signUp(page, newOwner('Inbox'));
  const { account, number } = await connectNewSender(page, simulator, 'Bakery');
  await expect(connectionCard(page, 'Bakery').getByText('Webhooks configured')).toBeVisible();
  const templates = await seedTemplates(simulator, account.sid);

  const customer = 'whatsapp:+447700900321';
  await simulator.deliverInbound({
    to: number,
    from: customer,
    profileName: 'Ana Souza',
    body: 'Is my birthday cake ready?',
  });
  await placeLastInbound(
    { databaseUrl: run.databaseUrl, simulator, accountSid: account.sid, number, customer },
    25,
  );
  // The customer's phone receives but does not read yet: each status is driven below.
  await simulator.setRecipientBehaviour(account.sid, customer, 'no_read');

  await openInboxFromCard(page, number);
  const row = conversationList(page).getByRole('link').filter({ hasText: 'Ana Souza' });
  await expect(row).toContainText('Is my birthday cake ready?');
  await expect(row).toContainText('Window closed');
  await snap('inbox-list');

  const thread = await openThread(page, 'Ana Souza');
  await expect(thread.getByRole('heading', { name: 'Ana Souza' })).toBeFocused();
  await expect(thread).toContainText('The 24-hour window closed 1 h ago: send an approved template.');
  // Free text is not offered: the template picker takes its place.
  await expect(thread.getByLabel('Message', { exact: true })).toHaveCount(0);
  const picker = thread.getByRole('group', { name: 'Template' });
  await expect(picker.getByRole('radio', { name: 'Order ready' })).toBeEnabled();
  await expect(picker.getByRole('radio', { name: 'Delivery slot' })).toBeEnabled();
  await expect(picker.getByRole('radio', { name: 'Weekly offer' })).toBeDisabled();
  await expect(picker.getByRole('radio', { name: 'Big sale' })).toBeDisabled();

  // Nothing picked: said at the picker, which takes the focus.
  await thread.getByRole('button', { name: 'Send template' }).click();
  await expect(thread.getByText('Pick an approved template.')).toBeVisible();
  await expect(picker.getByRole('radio', { name: 'Order ready' })).toBeFocused();

  // Keyboard only: the first approved template is picked with Space, its values typed.
  await page.keyboard.press('Space');
  await expect(picker.getByRole('radio', { name: 'Order ready' })).toBeChecked();
  const first = thread.getByLabel('{{1}}', { exact: true });
  const second = thread.getByLabel('{{2}}', { exact: true });
  await expect(first).toHaveAccessibleDescription('For example: Maria');
  await first.fill('Ana');
  const preview = thread.getByRole('region', { name: 'What the customer will read' });
  await expect(preview).toContainText('Hi Ana, your order {{2}} is ready for pickup.');
  await expect(preview).toContainText('Still to fill in: {{2}}.');
  // A value left empty is refused at its field before anything is sent.
  await thread.getByRole('button', { name: 'Send template' }).click();
  await expect(second).toBeFocused();
  await expect(second).toHaveAttribute('aria-invalid', 'true');
  await page.keyboard.type('#1042');
  await expect(preview.locator('.bubble__body')).toHaveText('Hi Ana, your order #1042 is ready for pickup.');
  await expectAccessible('inbox, template picker outside the window');
  await snap('inbox-thread-outside-window');

  await thread.getByRole('button', { name: 'Send template' }).click();
  await expect
    .poll(async () =>
      (await simulator.messages(account.sid))
        .filter((m) => m.direction === 'outbound-api')
        .map((m) => ({ to: m.to, contentSid: m.contentSid, contentVariables: m.contentVariables })),
    )
    .toEqual([
      { to: customer, contentSid: templates.orderReady.sid, contentVariables: { 1: 'Ana', 2: '#1042' } },
    ]);

  // The history shows what the customer read, delivered, then read.
  const log = thread.getByRole('list', { name: 'Messages, oldest first' });
  const sent = log.getByRole('listitem').filter({ hasText: 'Hi Ana, your order #1042 is ready for pickup.' });
  await expect(sent.getByTitle('Delivered', { exact: true })).toBeVisible();
  const [outbound] = (await simulator.messages(account.sid)).filter((m) => m.direction === 'outbound-api');
  await simulator.advanceStatus(outbound!.sid, 'read');
  await expect(sent.getByTitle('Read', { exact: true })).toBeVisible();
  await expect(sent).toHaveAttribute('data-status', 'read');

  // The customer taps a quick reply: shown as what they tapped, and the window opens again.
  await simulator.deliverInbound({
    to: number,
    from: customer,
    profileName: 'Ana Souza',
    body: 'On my way',
    buttonPayload: 'on_my_way',
    buttonText: 'On my way',
  });
  const tapped = log.getByRole('listitem').filter({ hasText: 'Tapped' });
  await expect(tapped).toContainText('Tapped On my way');
  await expect(thread).toContainText(/You can reply freely for 2[34] h/);
  await expect(thread.getByLabel('Message', { exact: true })).toBeVisible();
  await expectAccessible('inbox, thread inside the window');
  await snap('inbox-thread-inside-window');
});

test('templates WhatsApp has not approved are listed with their status and reason, and cannot be picked', async ({
  page,
  run,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Templates'));
  const { account, number } = await connectNewSender(page, simulator, 'Florist');
  await expect(connectionCard(page, 'Florist').getByText('Webhooks configured')).toBeVisible();
  await simulator.addTemplate(account.sid, {
    friendlyName: 'Big sale',
    types: { 'twilio/text': { body: 'Everything must go! {{1}}' } },
    variables: { '1': '50% off' },
    approval: 'rejected',
    rejectionReason: 'PROMOTIONAL: the template looks like marketing',
  });
  await simulator.addTemplate(account.sid, {
    friendlyName: 'Weekly offer',
    types: { 'twilio/text': { body: 'This week: {{1}}' } },
    variables: { '1': 'tulips' },
    approval: 'paused',
  });
  const customer = 'whatsapp:+447700900654';
  await simulator.deliverInbound({ to: number, from: customer, body: 'Do you deliver on Sundays?' });
  await placeLastInbound(
    { databaseUrl: run.databaseUrl, simulator, accountSid: account.sid, number, customer },
    50,
  );

  await openInboxFromCard(page, number);
  const thread = await openThread(page, '+447700900654');
  await expect(thread).toContainText('The 24-hour window closed 1 day ago: send an approved template.');
  const picker = thread.getByRole('group', { name: 'Template' });
  // Nothing approved: what to do about it, in Twilio's console.
  await expect(picker).toContainText('No template of this Twilio account is approved by WhatsApp yet');
  await expect(picker).toContainText('Messaging > Templates');
  const rejected = picker.getByRole('radio', { name: 'Big sale' });
  await expect(rejected).toBeDisabled();
  await expect(rejected).toHaveAccessibleDescription(/PROMOTIONAL: the template looks like marketing/);
  await expect(picker.getByRole('listitem').filter({ hasText: 'Big sale' })).toContainText('Rejected');
  await expect(picker.getByRole('radio', { name: 'Weekly offer' })).toBeDisabled();
  await expect(picker.getByRole('listitem').filter({ hasText: 'Weekly offer' })).toContainText('Paused');
  // A click on it changes nothing: no fields, no preview.
  await picker.getByText('Big sale', { exact: true }).click({ force: true });
  await expect(rejected).not.toBeChecked();
  await expect(thread.getByRole('region', { name: 'What the customer will read' })).toHaveCount(0);
  await thread.getByRole('button', { name: 'Send template' }).click();
  await expect(
    thread.getByText('There is no approved template to send yet: see above for how to get one approved.'),
  ).toBeVisible();
  await expect(picker.getByText('Template', { exact: true })).toBeFocused();
  expect((await simulator.messages(account.sid)).filter((m) => m.direction === 'outbound-api')).toEqual([]);
  await expectAccessible('inbox, no approved template');
  await snap('inbox-no-approved-template');
});

test('a new conversation with a number that never wrote starts with a template', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Outreach'));
  const { account, number } = await connectNewSender(page, simulator, 'Garage');
  await expect(connectionCard(page, 'Garage').getByText('Webhooks configured')).toBeVisible();
  const templates = await seedTemplates(simulator, account.sid);

  await openInboxFromCard(page, number);
  await expect(conversationList(page)).toContainText('No conversations yet.');
  await page.getByRole('link', { name: 'New conversation' }).click();
  const compose = page.getByRole('region', { name: 'New conversation' });
  await expect(compose.getByRole('heading', { name: 'New conversation' })).toBeFocused();

  const to = compose.getByLabel('Customer’s WhatsApp number', { exact: true });
  await to.fill('0770 0900 777');
  await compose.getByRole('radio', { name: 'Order ready' }).check();
  await compose.getByLabel('{{1}}', { exact: true }).fill('Sam');
  await compose.getByLabel('{{2}}', { exact: true }).fill('MOT-88');
  await compose.getByRole('button', { name: 'Send template' }).click();
  await expect(to).toBeFocused();
  await expect(to).toHaveAccessibleDescription(
    /Enter the number in international format, with \+ and the country code, e\.g\. \+14155238886\./,
  );
  await expectAccessible('inbox, new conversation with a wrong number');
  await snap('inbox-new-conversation');

  await to.fill('+44 7700 900777');
  await compose.getByRole('button', { name: 'Send template' }).click();

  // The thread opens on the new customer, showing what they will read.
  const thread = page.getByRole('region', { name: '+447700900777' });
  await expect(thread).toBeVisible();
  await expect(page).toHaveURL(/\/inbox\/[0-9a-f-]{36}\/\+447700900777$/);
  const sent = thread
    .getByRole('list', { name: 'Messages, oldest first' })
    .getByRole('listitem')
    .filter({ hasText: 'Hi Sam, your order MOT-88 is ready for pickup.' });
  await expect(sent.getByTitle('Read', { exact: true })).toBeVisible();
  expect(
    (await simulator.messages(account.sid))
      .filter((m) => m.direction === 'outbound-api')
      .map((m) => ({ to: m.to, contentSid: m.contentSid, status: m.status })),
  ).toEqual([{ to: 'whatsapp:+447700900777', contentSid: templates.orderReady.sid, status: 'read' }]);
  // Never wrote: still template only.
  await expect(thread.getByLabel('Message', { exact: true })).toHaveCount(0);
  await expect(conversationList(page).getByRole('link').filter({ hasText: '+447700900777' })).toBeVisible();
});
