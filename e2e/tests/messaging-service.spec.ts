import { connectionCard, expect, newOwner, signUp, test } from '../support/fixtures.ts';
import { uniqueWhatsappNumber } from '../support/twilio-simulator.ts';

test('an owner connects a Messaging Service; the progress follows the server, holding on the step Twilio has not answered', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Pool'));
  const account = await simulator.seedAccount();
  const senders = [uniqueWhatsappNumber(), uniqueWhatsappNumber()];
  const service = await simulator.addMessagingService(account.sid, {
    friendlyName: 'Support pool',
    senders,
    inboundRequestUrl: 'https://earlier.example.com/sms/in',
  });

  await page.getByLabel('Account SID', { exact: true }).fill(account.sid);
  await page.getByLabel('Auth Token', { exact: true }).fill(account.authToken);
  const choice = page.getByRole('group', { name: 'What to connect' });
  await expect(choice.getByRole('radio', { name: /A WhatsApp number/ })).toBeChecked();
  await choice.getByRole('radio', { name: /A Messaging Service/ }).check();
  await expect(page.getByLabel('WhatsApp number', { exact: true })).toHaveCount(0);
  const sidField = page.getByLabel('Messaging Service SID', { exact: true });
  await expect(sidField).toHaveAccessibleDescription(/Messaging > Services.*starting with MG/);
  await sidField.fill(service.sid);
  await page.getByLabel('Name (optional)', { exact: true }).fill('Pool');
  await expectAccessible('connect form, Messaging Service');
  await snap('connect-messaging-service-form');

  // Twilio holds its answer to the list of the service's senders: that step stays in progress.
  await simulator.hang(account.sid, 'ListChannelSender', 9_000);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const progress = page.getByRole('list', { name: 'Connecting' });
  const step = (name: string) => progress.getByRole('listitem').filter({ hasText: name });
  await expect(step('Finding the Messaging Service and its WhatsApp senders')).toHaveAttribute(
    'aria-current',
    'step',
  );
  await expect(step('Verifying your credentials with Twilio')).toContainText('(done)');
  await expect(step('Saving the connection')).toContainText('(not started)');
  await expect(step('Configuring webhooks')).toContainText('(not started)');
  await snap('connecting-messaging-service');
  await expectAccessible('connecting a Messaging Service');

  const card = connectionCard(page, 'Pool');
  await expect(card.getByRole('heading', { name: 'Pool' })).toBeFocused({ timeout: 15_000 });
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  await expect(card).toContainText(service.sid);
  const pool = card.getByRole('list', { name: 'WhatsApp senders of the Messaging Service' });
  await expect(pool.getByRole('listitem')).toHaveText(senders);
  // Twilio's side: the service's inbound and status webhooks now point here, for every sender.
  const [atTwilio] = await simulator.messagingServices(account.sid);
  expect(atTwilio?.inboundRequestUrl).toMatch(/\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}$/);
  expect(atTwilio?.statusCallback).toMatch(/\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}\/status$/);
  expect(atTwilio?.useInboundWebhookOnNumber).toBe(false);
  await expectAccessible('Messaging Service connected');
  await snap('messaging-service-connected');
});

test('a Messaging Service without a WhatsApp sender is refused at the step that found it, with what to do', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Empty pool'));
  const account = await simulator.seedAccount();
  const service = await simulator.addMessagingService(account.sid, { friendlyName: 'No WhatsApp yet' });

  await page.getByLabel('Account SID', { exact: true }).fill(account.sid);
  await page.getByLabel('Auth Token', { exact: true }).fill(account.authToken);
  await page.getByRole('radio', { name: /A Messaging Service/ }).check();
  await page.getByLabel('Messaging Service SID', { exact: true }).fill(service.sid);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();

  const sidField = page.getByLabel('Messaging Service SID', { exact: true });
  await expect(sidField).toBeFocused();
  await expect(sidField).toHaveAccessibleDescription(/has no WhatsApp sender.*Sender Pool/);
  const progress = page.getByRole('list', { name: 'Connecting' });
  await expect(
    progress.getByRole('listitem').filter({ hasText: 'Finding the Messaging Service' }),
  ).toContainText('failed');
  await expect(
    progress.getByRole('listitem').filter({ hasText: 'Verifying your credentials' }),
  ).toContainText('(done)');
  await expectAccessible('Messaging Service refused');
  await snap('messaging-service-refused');
});
