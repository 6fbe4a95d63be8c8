import { randomBytes } from 'node:crypto';
import { createDatabase } from '@app/db';
// Not a procedure (inviting people is out of scope): the server's own seeding helper.
import { addOrganizationMember } from '../../apps/server/src/auth/members.ts';
import {
  clientAddressHeaders,
  connectionCard,
  connectNewSender,
  expect,
  newOwner,
  signIn,
  signUp,
  test,
} from '../support/fixtures.ts';
import { openInboxFromCard, openThread } from '../support/inbox.ts';

test('a member signs in and sees the connection with no admin actions, only the reply form', async ({
  page,
  browser,
  run,
  simulator,
  snap,
  expectAccessible,
}) => {
  // Settings as a member, then a reply from the inbox: more steps than the default budget allows here.
  test.slow();
  await signUp(page, newOwner('Members'));
  const { number } = await connectNewSender(page, simulator, 'Sales');
  await expect(connectionCard(page, 'Sales').getByText('Webhooks configured')).toBeVisible();

  const me = await (await page.request.get('/trpc/auth.me')).json();
  const organizationId: string = me.result.data.organizationId;
  const member = {
    email: `member-${randomBytes(4).toString('hex')}@example.test`,
    password: 'member password 123',
  };
  const database = createDatabase(run.databaseUrl, { max: 1 });
  try {
    await addOrganizationMember(database.db, { organizationId, ...member, role: 'member' });
  } finally {
    await database.close();
  }

  const memberContext = await browser.newContext({ extraHTTPHeaders: clientAddressHeaders() });
  const memberPage = await memberContext.newPage();
  try {
    await signIn(memberPage, member);
    const card = connectionCard(memberPage, 'Sales');
    await expect(card).toContainText(number);
    await expect(card.getByText('Webhooks configured')).toBeVisible();
    await expect(card).toContainText('Webhook events for this number are visible to owners and admins.');
    await expect(memberPage.getByText(/only owners and admins of .* can change it/)).toBeVisible();
    await expect(memberPage.getByRole('alert').filter({ hasText: /\S/ })).toHaveCount(0);
    for (const action of [
      'Verify now',
      'Configure webhooks',
      'Update credentials',
      'Pause sending',
      'Disconnect',
      'Connect another number',
    ]) {
      await expect(memberPage.getByRole('button', { name: action })).toHaveCount(0);
    }
    await expect(memberPage.getByRole('region', { name: 'Connect a WhatsApp number' })).toHaveCount(0);
    // Members may check the number's health and copy the webhook URLs (neither is an admin
    // action); beyond that, only signing out. Replying lives in the inbox, which the card links to.
    await expect(memberPage.getByRole('button')).toHaveText([
      'Sign out',
      'Check again',
      'Copy Incoming messages URL',
      'Copy Status callback URL',
    ]);
    // The health panel holds the day's counts for members (the delivery log is for admins).
    await expect(memberPage.getByRole('table', { name: 'Deliveries in the last 24 hours' })).toBeVisible();
    await expectAccessible('settings, as a member', memberPage);
    await snap('member-read-only', memberPage);

    // Members may reply in the conversation and start new ones, as owners and admins do.
    await simulator.deliverInbound({ to: number, from: 'whatsapp:+447700900246', body: 'Are you open?' });
    await openInboxFromCard(memberPage, number);
    await expect(memberPage.getByRole('link', { name: 'New conversation' })).toBeVisible();
    const thread = await openThread(memberPage, '+447700900246');
    await thread.getByLabel('Message', { exact: true }).fill('Yes, until 6 pm.');
    await thread.getByRole('button', { name: 'Send', exact: true }).click();
    await expect(
      thread
        .getByRole('listitem')
        .filter({ hasText: 'Yes, until 6 pm.' })
        .getByTitle('Read', { exact: true }),
    ).toBeVisible();
    await expectAccessible('inbox, as a member', memberPage);
  } finally {
    await memberContext.close();
  }
});
