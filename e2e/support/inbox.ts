import type { Page } from '@playwright/test';
import postgres from 'postgres';
import { expect } from './fixtures.ts';
import type { SimulatorControl } from './twilio-simulator.ts';

/** From Settings: the card's link to its number's conversations; ends on the inbox. */
export async function openInboxFromCard(page: Page, number: string) {
  await page.getByRole('link', { name: `Open the conversations on ${number}` }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Inbox' })).toBeVisible();
}

/** From anywhere signed in: back to Settings through the header. */
export async function backToSettings(page: Page) {
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'WhatsApp' })).toBeVisible();
}

/** The inbox's list of conversations. */
export function conversationList(page: Page) {
  return page.getByRole('region', { name: 'Conversations' });
}

/** Opens a conversation from the list by what its row shows (the customer's name or number). */
export async function openThread(page: Page, who: string) {
  await conversationList(page).getByRole('link').filter({ hasText: who }).first().click();
  const thread = page.getByRole('region', { name: who });
  await expect(thread).toBeVisible();
  return thread;
}

/**
 * Places the customer's last message `hoursAgo` in the past, on both sides: the stored
 * message (what the server reads the 24-hour window from) and the simulated Twilio's
 * conversation (what it enforces the window with).
 */
export async function placeLastInbound(
  input: {
    databaseUrl: string;
    simulator: SimulatorControl;
    accountSid: string;
    number: string;
    customer: string;
  },
  hoursAgo: number,
) {
  const at = new Date(Date.now() - hoursAgo * 3_600_000);
  const sql = postgres(input.databaseUrl, { max: 1, onnotice: () => {} });
  try {
    // The worker stores the delivered webhook a moment after Twilio's request is answered.
    await expect
      .poll(
        async () =>
          (
            await sql`
              update twilio_whatsapp_messages m set created_at = ${at}, status_updated_at = ${at}
              from twilio_whatsapp_connections c
              where m.connection_id = c.id and c.whatsapp_number = ${input.number}
                and m.direction = 'inbound' and m.from_number = ${input.customer}`
          ).count,
        { message: 'the customer’s stored messages to move back' },
      )
      .toBeGreaterThan(0);
  } finally {
    await sql.end();
  }
  await input.simulator.openConversation(input.accountSid, {
    sender: input.number,
    customer: input.customer,
    lastInboundAt: at.toISOString(),
  });
}

/** Templates of every approval state, as a Twilio account holds them. */
export async function seedTemplates(simulator: SimulatorControl, accountSid: string) {
  const orderReady = await simulator.addTemplate(accountSid, {
    friendlyName: 'Order ready',
    types: { 'twilio/text': { body: 'Hi {{1}}, your order {{2}} is ready for pickup.' } },
    variables: { '1': 'Maria', '2': '#1001' },
  });
  const deliverySlot = await simulator.addTemplate(accountSid, {
    friendlyName: 'Delivery slot',
    types: {
      'twilio/quick-reply': {
        body: 'Can we deliver tomorrow morning?',
        actions: [
          { title: 'Yes, please', id: 'slot_yes' },
          { title: 'Another day', id: 'slot_no' },
        ],
      },
      'twilio/text': { body: 'Can we deliver tomorrow morning?' },
    },
  });
  const weeklyOffer = await simulator.addTemplate(accountSid, {
    friendlyName: 'Weekly offer',
    types: { 'twilio/text': { body: 'This week: {{1}}' } },
    variables: { '1': 'two croissants for one' },
    approval: 'pending',
  });
  const bigSale = await simulator.addTemplate(accountSid, {
    friendlyName: 'Big sale',
    types: { 'twilio/text': { body: 'Everything must go! {{1}}' } },
    variables: { '1': '50% off' },
    approval: 'rejected',
    rejectionReason: 'PROMOTIONAL: the template looks like marketing',
  });
  return { orderReady, deliverySlot, weeklyOffer, bigSale };
}
