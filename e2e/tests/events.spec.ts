import { connectionCard, connectNewSender, expect, newOwner, signUp, test } from '../support/fixtures.ts';

test('an inbound message delivered by Twilio shows in the events list without a reload', async ({
  page,
  simulator,
  snap,
  expectAccessible,
}) => {
  await signUp(page, newOwner('Inbound'));
  const { number } = await connectNewSender(page, simulator, 'Front desk');
  const card = connectionCard(page, 'Front desk');
  await expect(card.getByText('Webhooks configured')).toBeVisible();
  const events = card.getByRole('region', { name: 'Recent webhook events' });
  await expect(events).toContainText('No events yet');

  // A marker on the window: it would be gone if the page reloaded.
  await page.evaluate(() => {
    (window as unknown as { notReloaded: boolean }).notReloaded = true;
  });
  const inbound = await simulator.deliverInbound({
    to: number,
    from: 'whatsapp:+447700900123',
    body: 'Hello, is the shop open today?',
  });
  expect(inbound.deliveries.map((d) => d.outcome)).toEqual(['delivered']);

  const row = events.getByRole('listitem').filter({ hasText: inbound.messageSid });
  await expect(row).toContainText('Inbound message');
  // The worker processes it; the polled list follows.
  await expect(row).toContainText('Processed');
  expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
  await expectAccessible('settings, with an event');
  await snap('inbound-event');
});
