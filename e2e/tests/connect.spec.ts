import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import {
  connectionCard,
  expect,
  fillConnectForm,
  fillConnectFormWithNewSender,
  newOwner,
  signIn,
  signUp,
  test,
} from '../support/fixtures.ts';
import { holdRequest } from '../support/hold.ts';
import { uniqueWhatsappNumber, wrongAuthToken } from '../support/twilio-simulator.ts';

test('an owner signs up, connects a sender with good credentials and sees it with webhooks configured', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  const owner = newOwner('Acme');
  await page.goto('/sign-up');
  await expect(page.getByRole('heading', { name: 'Create your organization' })).toBeVisible();
  await expectAccessible('sign up');
  await snap('sign-up');

  await signUp(page, owner);
  await expect(page.getByRole('heading', { name: 'No WhatsApp number connected yet' })).toBeVisible();
  const emptyState = page.getByRole('region', { name: 'No WhatsApp number connected yet' });
  await expect(emptyState).toContainText('Account Info');
  await expect(emptyState).toContainText('Messaging > Senders > WhatsApp senders');
  await expect(emptyState).toContainText('Messaging > Try it out');
  await expectAccessible('settings, nothing connected');
  await snap('settings-empty');

  const { account, number } = await fillConnectFormWithNewSender(page, simulator, 'Support');

  const held = await holdRequest(page, 'whatsapp.connections.create');
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  const progress = page.getByRole('list', { name: 'Connecting' });
  await expect(progress.getByRole('listitem').first()).toHaveAttribute('aria-current', 'step');
  await expect(progress).toContainText('Configuring webhooks');
  await expect(page.getByRole('button', { name: 'Connecting…' })).toBeDisabled();
  await expectAccessible('connecting');
  await snap('connecting');
  held.release();

  const card = connectionCard(page, 'Support');
  await expect(card.getByRole('heading', { name: 'Support' })).toBeFocused();
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  await expect(card.getByText('Active', { exact: true })).toBeVisible();
  await expect(card).toContainText(number);
  await expect(card).toContainText(account.sid);
  await expect(card.getByText('Paste these URLs into Twilio')).toHaveCount(0);
  await expect(page.getByRole('status').filter({ hasText: `Connected ${number}.` })).toBeVisible();
  // The card tells the truth: Twilio's sender now points at us.
  const twilioSide = await simulator.account(account.sid);
  expect(twilioSide.senders[0]?.webhook.callback_url).toMatch(/\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}$/);
  await expectAccessible('settings, connected');
  await snap('connected');
});

test('an owner signs out, is refused a wrong password, and signs back in', async ({
  page,
  snap,
  expectAccessible,
}) => {
  const owner = newOwner('Sessions');
  await signUp(page, owner);
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeFocused();
  await expect(page).toHaveURL(/\/sign-in$/);
  await expectAccessible('sign in');
  await snap('sign-in');

  await page.getByLabel('Email', { exact: true }).fill(owner.email);
  await page.getByLabel('Password', { exact: true }).fill(`${owner.password}!`);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert')).toContainText("That email and password don't match.");
  await expectAccessible('sign in, refused');
  await snap('sign-in-refused');

  await signIn(page, owner);
  await expect(page).toHaveURL(/\/settings\/whatsapp$/);
  await expect(page.getByRole('heading', { name: 'No WhatsApp number connected yet' })).toBeVisible();
  // The session survives a reload: it is the httpOnly cookie, not page state.
  await page.reload();
  await expect(page.getByRole('heading', { level: 1, name: 'WhatsApp' })).toBeVisible();
});

test('a wrong Auth Token shows Twilio’s rejection at the token field and creates nothing', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Wrong token'));

  // The shared contract speaks first: an empty form is refused before any request.
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(page.getByLabel('Account SID', { exact: true })).toBeFocused();
  await expect(page.getByLabel('Account SID', { exact: true })).toHaveAccessibleDescription(
    /Enter the Account SID\./,
  );
  await expect(page.getByLabel('WhatsApp number', { exact: true })).toHaveAccessibleDescription(
    /Enter the WhatsApp number\./,
  );
  await expectAccessible('connect form, fields missing');
  await snap('connect-form-invalid');

  const account = await simulator.seedAccount();
  const number = uniqueWhatsappNumber();
  await simulator.addWhatsappSender(account.sid, number);
  await fillConnectForm(page, {
    accountSid: account.sid,
    authToken: wrongAuthToken(account.authToken),
    whatsappNumber: number,
  });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();

  const token = page.getByLabel('Auth Token', { exact: true });
  await expect(token).toHaveAccessibleDescription(/Twilio rejected these credentials \(20003\)/);
  await expect(token).toHaveAttribute('aria-invalid', 'true');
  await expect(token).toBeFocused();
  await expect(page.getByLabel('Account SID', { exact: true })).not.toHaveAttribute('aria-invalid', 'true');
  await page.getByRole('button', { name: 'Show Auth Token' }).click();
  await expect(token).toHaveAttribute('type', 'text');
  await expectAccessible('connect form, token rejected');
  await snap('token-rejected');

  // Right credentials, but a number that is not in this account: said at the number.
  await token.fill(account.authToken);
  const numberField = page.getByLabel('WhatsApp number', { exact: true });
  await numberField.fill(uniqueWhatsappNumber());
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(numberField).toHaveAccessibleDescription(/is not a WhatsApp sender/);
  await expect(numberField).toBeFocused();
  await expect(token).not.toHaveAttribute('aria-invalid', 'true');
  await snap('number-not-in-account');

  await page.reload();
  await expect(page.getByRole('heading', { name: 'No WhatsApp number connected yet' })).toBeVisible();
  const list = await page.request.get('/trpc/whatsapp.connections.list');
  expect((await list.json()).result.data).toEqual([]);
});

test('the sandbox number is connected with the two URLs to paste into Twilio', async ({
  page,
  context,
  simulator,
  snap,
  expectAccessible,
}) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await signUp(page, newOwner('Sandbox'));
  const account = await simulator.seedAccount();
  await fillConnectForm(page, {
    accountSid: account.sid,
    authToken: account.authToken,
    whatsappNumber: TWILIO_SANDBOX_NUMBER,
    friendlyName: 'Sandbox',
  });
  await page.getByRole('button', { name: 'Connect', exact: true }).click();

  const card = connectionCard(page, 'Sandbox');
  await expect(card.getByRole('heading', { name: 'Sandbox' })).toBeFocused();
  await expect(card.getByText('Webhooks need setup')).toBeVisible();
  await expect(card.getByRole('heading', { name: 'Paste these URLs into Twilio' })).toBeVisible();
  await expect(card).toContainText('Messaging > Try it out');
  // No API can set the sandbox's webhooks: no button that could only fail.
  await expect(card.getByRole('button', { name: 'Configure webhooks' })).toHaveCount(0);
  await expect(card.getByRole('button', { name: 'Verify now' })).toBeVisible();
  const inbound = card.getByLabel('Incoming messages URL');
  const status = card.getByLabel('Status callback URL');
  await expect(inbound).toHaveValue(/^http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}$/);
  await expect(status).toHaveValue(
    /^http:\/\/127\.0\.0\.1:\d+\/webhooks\/twilio\/whatsapp\/[0-9a-f-]{36}\/status$/,
  );

  await card.getByRole('button', { name: 'Copy Incoming messages URL' }).click();
  await expect(card.getByText('Copied.')).toBeVisible();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(await inbound.inputValue());
  await expectAccessible('settings, sandbox connected');
  await snap('sandbox-urls-to-paste');
});

test('a Twilio that hangs: the connect form says so within 15 s, and nothing is saved', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Hang'));
  const account = await simulator.seedAccount();
  const number = uniqueWhatsappNumber();
  await simulator.addWhatsappSender(account.sid, number);
  // Twilio accepts the connection and never answers in time (the server's deadline is 10 s).
  await simulator.hang(account.sid, 'FetchAccount', 20_000);
  await fillConnectForm(page, {
    accountSid: account.sid,
    authToken: account.authToken,
    whatsappNumber: number,
  });
  const started = Date.now();
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  await expect(
    page
      .getByRole('alert')
      .filter({ hasText: 'Twilio did not answer within 10 s; nothing was saved. Try again in a minute.' }),
  ).toBeVisible({ timeout: 15_000 });
  expect(Date.now() - started).toBeLessThan(15_000);
  // Asked once: the browser did not send the request again.
  const asked = (await simulator.requests()).filter(
    (r) => r.operationId === 'FetchAccount' && r.path.includes(account.sid),
  );
  expect(asked).toHaveLength(1);
  await expect(page.getByRole('button', { name: 'Connect', exact: true })).toBeEnabled();
  await expectAccessible('connect form, Twilio hangs');
  await snap('twilio-hangs');

  const list = await page.request.get('/trpc/whatsapp.connections.list');
  expect((await list.json()).result.data).toEqual([]);
});
