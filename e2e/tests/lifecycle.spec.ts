import {
  connectionCard,
  connectNewSender,
  expect,
  fillConnectForm,
  newOwner,
  signUp,
  test,
} from '../support/fixtures.ts';
import { backToSettings, openInboxFromCard, openThread } from '../support/inbox.ts';

test('an owner verifies the credentials, sets the webhooks again and reactivates the connection', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Maintenance'));
  const { number, account } = await connectNewSender(page, simulator, 'Support');
  const card = connectionCard(page, 'Support');
  await expect(card.getByText('Webhooks configured')).toBeVisible();

  await card.getByRole('button', { name: 'Verify now' }).click();
  await expect(
    card
      .getByRole('status')
      .filter({ hasText: 'Twilio accepted the credentials and the number is still a sender.' }),
  ).toBeVisible();

  const [sender] = (await simulator.account(account.sid)).senders;
  const senderUpdates = async () =>
    (await simulator.requests()).filter((r) => r.method === 'POST' && r.path.endsWith(`/${sender?.sid}`))
      .length;
  const updatesBefore = await senderUpdates();
  await card.getByRole('button', { name: 'Configure webhooks' }).click();
  await expect(
    card.getByRole('status').filter({ hasText: 'Twilio will now send messages and status updates here.' }),
  ).toBeVisible();
  // The button itself set them again: one more update of the sender, pointing at us.
  expect(await senderUpdates()).toBe(updatesBefore + 1);
  const [updated] = (await simulator.account(account.sid)).senders;
  expect(updated?.senderId).toBe(`whatsapp:${number}`);
  expect(updated?.webhook.callback_url).toMatch(/\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}$/);

  // Twilio suspends the account: verifying says so in words a person can act on.
  await simulator.setAccountStatus(account.sid, 'suspended');
  await card.getByRole('button', { name: 'Verify now' }).click();
  const refusal = card
    .getByRole('alert')
    .filter({ hasText: `Twilio account ${account.sid} is suspended. Reactivate it in the Twilio Console` });
  await expect(refusal).toBeVisible();
  await expectAccessible('settings, verification refused');
  await snap('verify-refused');
  await simulator.setAccountStatus(account.sid, 'active');

  await card.getByRole('button', { name: 'Pause sending' }).click();
  await page
    .getByRole('dialog', { name: `Pause sending from ${number}?` })
    .getByRole('button', { name: 'Pause sending' })
    .click();
  await expect(card.getByText('Sending paused', { exact: true })).toBeVisible();
  await card.getByRole('button', { name: 'Resume sending', exact: true }).click();
  await expect(card.getByText('Active', { exact: true })).toBeVisible();
  await expect(
    card
      .getByRole('status')
      .filter({ hasText: 'Sending resumed: messages can be sent from this number again.' }),
  ).toBeVisible();
  // And Twilio's deliveries are taken, as they were while paused.
  const inbound = await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+14155550123',
    body: 'Back again?',
  });
  expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
});

test('an owner renames and deactivates the connection, then disconnects it after confirming', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  // Pause, a delivery while paused, disconnect: more steps than the default budget allows here.
  test.slow();
  const owner = newOwner('Lifecycle');
  await signUp(page, owner);
  const { number } = await connectNewSender(page, simulator);
  // Without a name, the number is the card's title.
  await expect(connectionCard(page, number).getByText('Active', { exact: true })).toBeVisible();

  await connectionCard(page, number).getByRole('button', { name: 'Update credentials' }).click();
  await expect(page.getByRole('heading', { name: 'Update credentials' })).toBeFocused();
  await page.getByLabel('Name (optional)', { exact: true }).fill('Reception');
  await page.getByRole('button', { name: 'Save' }).click();
  const card = connectionCard(page, 'Reception');
  await expect(card.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(card.getByRole('button', { name: 'Update credentials' })).toBeFocused();
  await expect(card).toContainText(number);

  // Pausing asks first, and says what keeps working.
  await card.getByRole('button', { name: 'Pause sending' }).click();
  const pause = page.getByRole('dialog', { name: `Pause sending from ${number}?` });
  await expect(pause).toContainText(
    "Customers' messages and delivery updates will still arrive and show here; nobody can send from this number until an owner or admin resumes it.",
  );
  await expectAccessible('pause confirmation');
  await snap('pause-confirmation');
  await pause.getByRole('button', { name: 'Pause sending' }).click();
  await expect(pause).toBeHidden();
  await expect(card.getByText('Sending paused', { exact: true })).toBeVisible();
  await expect(
    card.getByRole('status').filter({
      hasText: "Sending paused. Customers' messages and delivery updates still arrive and show here.",
    }),
  ).toBeVisible();
  await expect(card.getByRole('button', { name: 'Resume sending', exact: true })).toBeEnabled();
  await expectAccessible('settings, sending paused');
  await snap('paused');

  // The customer writes while sending is paused: the message arrives and shows in the inbox,
  // whose thread says sending is paused instead of offering a reply.
  const inbound = await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+14155550188',
    body: 'Anyone there while you are paused?',
  });
  expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
  await openInboxFromCard(page, number);
  const pausedThread = await openThread(page, '+14155550188');
  await expect(pausedThread.getByText('Anyone there while you are paused?')).toBeVisible();
  await expect(pausedThread).toContainText('Sending from this number is paused');
  await expect(pausedThread.getByRole('button', { name: /^Send/ })).toHaveCount(0);
  await expect(page.getByRole('link', { name: 'New conversation' })).toHaveCount(0);
  await expectAccessible('inbox, sending paused');
  await snap('inbox-paused');
  await backToSettings(page);

  // Escape backs out of the confirmation and leaves everything as it was.
  const disconnect = card.getByRole('button', { name: 'Disconnect' });
  await disconnect.click();
  const dialog = page.getByRole('dialog', { name: 'Disconnect Reception?' });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();
  await expect(disconnect).toBeFocused();

  await disconnect.click();
  await expect(dialog).toBeVisible();
  // The dialog says what is erased and what is kept.
  await expect(dialog).toContainText('Erased: the Auth Token we stored.');
  await expect(dialog).toContainText(
    "Twilio's webhook settings for this number are put back to what they were before it was connected.",
  );
  await expect(dialog).toContainText(
    'Kept: its conversation and webhook events stay here, readable as now; connecting the number again continues them.',
  );
  await expectAccessible('disconnect confirmation');
  await snap('disconnect-confirmation');
  await dialog.getByRole('button', { name: 'Disconnect' }).click();

  // The card stays, disconnected, with when and by whom, and its conversation.
  await expect(dialog).toBeHidden();
  await expect(card.getByText('Disconnected', { exact: true })).toBeVisible();
  await expect(card).toContainText(`by ${owner.email}`);
  await expect(card.getByRole('heading', { name: 'Reception' })).toBeFocused();
  await expect(
    page.getByRole('status').filter({
      hasText: `Disconnected ${number}. Twilio's webhook URLs for ${number} were cleared, as they were before it was connected.`,
    }),
  ).toBeVisible();
  for (const action of ['Pause sending', 'Resume sending', 'Verify now', 'Disconnect']) {
    await expect(card.getByRole('button', { name: action, exact: true })).toHaveCount(0);
  }
  await expectAccessible('settings, after disconnect');
  await snap('disconnected');
  // Its conversation is kept, readable, with nothing to send.
  await openInboxFromCard(page, number);
  const keptThread = await openThread(page, '+14155550188');
  await expect(keptThread.getByText('Anyone there while you are paused?')).toBeVisible();
  await expect(keptThread).toContainText('This number is disconnected; its history stays here.');
  await expect(keptThread.getByRole('button', { name: /^Send/ })).toHaveCount(0);
  await backToSettings(page);

  await page.reload();
  await expect(connectionCard(page, 'Reception').getByText('Disconnected', { exact: true })).toBeVisible();
});

test('an owner connects a disconnected number again and its history continues; then deletes that history', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  test.slow();
  await signUp(page, newOwner('History'));
  const { number, account } = await connectNewSender(page, simulator, 'Front desk');
  const card = connectionCard(page, 'Front desk');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  await simulator.deliverInbound({ to: number, from: 'whatsapp:+14155550177', body: 'First visit' });
  await openInboxFromCard(page, number);
  await expect((await openThread(page, '+14155550177')).getByText('First visit')).toBeVisible();
  await backToSettings(page);

  await card.getByRole('button', { name: 'Disconnect' }).click();
  await page
    .getByRole('dialog', { name: 'Disconnect Front desk?' })
    .getByRole('button', { name: 'Disconnect' })
    .click();
  await expect(card.getByText('Disconnected', { exact: true })).toBeVisible();
  // Twilio's side: the sender was read, then put back (it had no webhooks before).
  const [sender] = (await simulator.account(account.sid)).senders;
  expect(sender?.webhook.callback_url).toBeNull();
  const calls = (await simulator.requests()).filter((r) => r.path.endsWith(`/${sender?.sid}`));
  expect(calls.slice(-2).map((r) => `${r.method} ${r.operationId}`)).toEqual([
    'GET FetchChannelsSender',
    'POST UpdateChannelsSender',
  ]);

  // Connected again: the same card, Active, with the conversation from before.
  await page.getByRole('button', { name: 'Connect another number' }).click();
  await fillConnectForm(page, {
    accountSid: account.sid,
    authToken: account.authToken,
    whatsappNumber: number,
    friendlyName: 'Front desk',
  });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(card.getByText('Active', { exact: true })).toBeVisible();
  await expect(connectionCard(page, 'Front desk')).toHaveCount(1);
  await openInboxFromCard(page, number);
  const thread = await openThread(page, '+14155550177');
  await expect(thread.getByText('First visit')).toBeVisible();
  await simulator.deliverInbound({ to: number, from: 'whatsapp:+14155550177', body: 'Second visit' });
  await expect(thread.getByText('Second visit')).toBeVisible();
  await backToSettings(page);

  // Delete history: disconnect first, then the number typed again.
  await card.getByRole('button', { name: 'Disconnect' }).click();
  await page
    .getByRole('dialog', { name: 'Disconnect Front desk?' })
    .getByRole('button', { name: 'Disconnect' })
    .click();
  await card.getByRole('button', { name: 'Delete history' }).click();
  const confirm = page.getByRole('dialog', { name: `Delete the history of ${number}?` });
  const deleteButton = confirm.getByRole('button', { name: 'Delete history' });
  await expect(deleteButton).toBeDisabled();
  await confirm.getByLabel(`Type ${number} to confirm`).fill('+15550000000');
  await expect(deleteButton).toBeDisabled();
  await confirm.getByLabel(`Type ${number} to confirm`).fill(number);
  await expectAccessible('delete history confirmation');
  await snap('delete-history-confirmation');
  await deleteButton.click();

  await expect(confirm).toBeHidden();
  await expect(card).toHaveCount(0);
  const emptyHeading = page.getByRole('heading', { name: 'No WhatsApp number connected yet' });
  await expect(emptyHeading).toBeFocused();
  await expect(
    page.getByRole('status').filter({ hasText: `Deleted the history of ${number}.` }),
  ).toBeVisible();
});
