import { createDatabase } from '@app/db';
import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';
import { wrongAuthToken } from '../support/twilio-simulator.ts';

test('a forged delivery appears in the counts and the refused list with its verdict', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Forged'));
  const { number, account } = await connectNewSender(page, simulator, 'Front desk');
  const card = connectionCard(page, 'Front desk');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  const counts = card.getByRole('region', { name: 'Deliveries in the last 24 hours' });
  // The count cell exactly: a substring check would take 10 for 1.
  const countOf = (verdict: RegExp) => counts.getByRole('row', { name: verdict }).getByRole('cell').first();
  await expect(countOf(/Bad signature/)).toHaveText('0');

  // One good delivery, then one signed with a token that is not the connection's (as
  // after an Auth Token change in Twilio that was not made here): 403, nothing stored.
  const good = await simulator.deliverInbound({ to: number, from: 'whatsapp:+447700900123', body: 'Hi' });
  expect(good.deliveries.map((d) => d.outcome)).toEqual(['delivered']);
  await simulator.setAuthToken(account.sid, wrongAuthToken(account.authToken));
  const forged = await simulator.deliverInbound({ to: number, from: 'whatsapp:+447700900123', body: 'Hi' });
  expect(forged.deliveries[0]?.attempts.map((a) => a.status)).toEqual([403]);

  // The intake writes its counts every few seconds; the panel polls them.
  await expect(countOf(/Bad signature/)).toHaveText('1', { timeout: 20_000 });
  await expect(countOf(/Accepted/)).toHaveText('1');
  await counts.getByText(/Refused deliveries/).click();
  const refused = counts.getByRole('listitem').first();
  await expect(refused).toContainText('Bad signature');
  await expect(refused).toContainText('Inbound message');
  await expect(refused).toContainText('was the Auth Token changed or rotated in Twilio?');
  await expect(refused).not.toContainText('Hi');
  await expectAccessible('delivery log, with a refused delivery');
  await snap('delivery-log-forged');
});

test('Retry on a failed event sends it back to the worker and it is applied', async ({
  page,
  simulator,
  run,
  snap,
  expectAccessible,
}) => {
  await signUp(page, { ...newOwner('Retry'), displayName: 'Rita Retrier' });
  const { number } = await connectNewSender(page, simulator, 'Support');
  const card = connectionCard(page, 'Support');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  const inbound = await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+447700900555',
    body: 'Where is my order?',
  });
  const events = card.getByRole('region', { name: 'Recent webhook events' });
  await expect(events.getByRole('listitem').filter({ hasText: inbound.messageSid })).toContainText(
    'Processed',
  );

  // The worker gave up on it (in the server tests, a payload without From fails every
  // attempt; here, as if applying had failed for a cause since fixed): failed, with its
  // error, and its message not stored.
  const database = createDatabase(run.databaseUrl, { max: 1 });
  try {
    await database.db.$client`delete from twilio_whatsapp_messages where message_sid = ${inbound.messageSid}`;
    await database.db.$client`
      update twilio_whatsapp_webhook_events
      set status = 'failed', attempts = 8, processed_at = now(),
          error_message = 'canceling statement due to statement timeout'
      where message_sid = ${inbound.messageSid}`;
  } finally {
    await database.close();
  }

  await events.getByLabel('Outcome').selectOption({ label: 'Failed' });
  const row = events.getByRole('listitem').filter({ hasText: inbound.messageSid });
  await expect(row).toContainText('Failed: canceling statement due to statement timeout (after 8 attempts)');
  await expectAccessible('delivery log, a failed event');
  await snap('delivery-log-failed');
  const retry = row.getByRole('button', { name: `Retry inbound message ${inbound.messageSid}` });
  await retry.focus();
  await page.keyboard.press('Enter');
  // The retried row leaves the "Failed" list: focus goes to what happened, not to the page.
  await expect(events.getByRole('status').filter({ hasText: 'was sent back to be applied' })).toBeFocused();

  // Filtered on Failed, it leaves the list once retried; unfiltered, it shows applied
  // with who retried it.
  await events.getByLabel('Outcome').selectOption({ label: 'Any outcome' });
  const applied = events.getByRole('listitem').filter({ hasText: inbound.messageSid });
  await expect(applied).toContainText('Processed', { timeout: 15_000 });
  await expect(applied).toContainText('Retried by Rita Retrier on ');
  await expect(applied.getByRole('button', { name: /Retry/ })).toHaveCount(0);
  await expectAccessible('delivery log, after a retry');
  await snap('delivery-log-retried');
});
