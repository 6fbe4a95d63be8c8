import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';
import { wrongAuthToken } from '../support/twilio-simulator.ts';

test('after an Auth Token update, a delivery Twilio still signs with the previous token is accepted and the card says to promote the new one', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Rotation'));
  const { number, account } = await connectNewSender(page, simulator, 'Rotating line');
  const card = connectionCard(page, 'Rotating line');
  await expect(card.getByText('Webhooks configured')).toBeVisible();

  // The admin made a secondary token in Twilio's console (Twilio accepts it for API
  // calls) and stores it here before promoting it.
  const secondary = wrongAuthToken(account.authToken);
  await simulator.setAuthToken(account.sid, secondary);
  await card.getByRole('button', { name: 'Update credentials' }).click();
  await page.getByLabel('New Auth Token', { exact: true }).fill(secondary);
  await page.getByRole('button', { name: 'Save' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();

  // Not promoted yet: Twilio signs its webhooks with the old (primary) token.
  await simulator.setAuthToken(account.sid, account.authToken);
  const inbound = await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+447700900777',
    body: 'Still there?',
  });
  expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);

  // The intake notes the token in the background; the card reads it when the list is
  // fetched again (after a reload here).
  await expect(card.getByRole('region', { name: 'Recent webhook events' })).toContainText(inbound.messageSid);
  await expect(async () => {
    await page.reload();
    await expect(card).toContainText(
      "Twilio still signs with your previous Auth Token: promote the new one in Twilio's console. The previous token is accepted until",
      { timeout: 5_000 },
    );
  }).toPass({ timeout: 30_000 });
  await expectAccessible('settings, Twilio signing with the previous Auth Token');
  await snap('previous-token-hint');
});
