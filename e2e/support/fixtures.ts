import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Page, type TestInfo } from '@playwright/test';
import { type RunState, readRunState } from './run-state.ts';
import { SimulatorControl, uniqueWhatsappNumber } from './twilio-simulator.ts';

export { expect };

const screenshotsDir = path.join(import.meta.dirname, '../artifacts/screenshots');

export interface Owner {
  organizationName: string;
  email: string;
  password: string;
  /** "Your name" on the sign-up form; left empty when not given. */
  displayName?: string;
}

export interface TwilioAccount {
  sid: string;
  authToken: string;
}

interface Fixtures {
  run: RunState;
  simulator: SimulatorControl;
  /** Saves a full-page screenshot under e2e/artifacts/screenshots and attaches it to the report. */
  snap: (name: string, target?: Page) => Promise<void>;
  /** Fails on any axe-core violation of serious or critical impact on the page as it is now. */
  expectAccessible: (screen: string, target?: Page) => Promise<void>;
}

export const test = base.extend<Fixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
  run: async ({}, use) => use(readRunState()),
  baseURL: async ({ run }, use) => use(run.baseUrl),
  // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies as a pattern.
  extraHTTPHeaders: async ({}, use) => use(clientAddressHeaders()),
  simulator: async ({ run }, use) => use(new SimulatorControl(run.simulatorUrl)),
  snap: async ({ page }, use, testInfo) => {
    await use(async (name, target = page) => saveScreenshot(target, testInfo, name));
  },
  expectAccessible: async ({ page }, use) => {
    await use(async (screen, target = page) => {
      // Legacy mode runs axe inside the page only: these screens have no iframes, and it
      // spares opening a blank page per check.
      const results = await new AxeBuilder({ page: target }).setLegacyMode(true).analyze();
      const serious = results.violations
        .filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map((n) => n.target) }));
      expect(serious, `axe: serious or critical violations on ${screen}`).toEqual([]);
    });
  },
});

async function saveScreenshot(page: Page, testInfo: TestInfo, name: string) {
  mkdirSync(screenshotsDir, { recursive: true });
  const file = path.join(screenshotsDir, `${testInfo.project.name}--${name}.png`);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled', caret: 'hide' });
  await testInfo.attach(name, { path: file, contentType: 'image/png' });
}

/** A client address of its own (the server trusts X-Forwarded-For in the e2e run). */
export function clientAddressHeaders(): Record<string, string> {
  const [a, b, c] = randomBytes(3);
  return { 'x-forwarded-for': `10.${a}.${b}.${c}` };
}

export function newOwner(label: string): Owner {
  const id = randomBytes(4).toString('hex');
  return {
    organizationName: `${label} ${id}`,
    email: `owner-${id}@example.test`,
    password: `correct horse ${id}`,
  };
}

/** Signs up through the UI; ends on Settings -> WhatsApp. */
export async function signUp(page: Page, owner: Owner) {
  await page.goto('/sign-up');
  await page.getByLabel('Organization name', { exact: true }).fill(owner.organizationName);
  if (owner.displayName !== undefined)
    await page.getByLabel('Your name (optional)', { exact: true }).fill(owner.displayName);
  await page.getByLabel('Email', { exact: true }).fill(owner.email);
  await page.getByLabel('Password', { exact: true }).fill(owner.password);
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'WhatsApp' })).toBeVisible();
}

export async function signIn(page: Page, who: { email: string; password: string }) {
  await page.goto('/sign-in');
  await page.getByLabel('Email', { exact: true }).fill(who.email);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'WhatsApp' })).toBeVisible();
}

export async function fillConnectForm(
  page: Page,
  input: { accountSid: string; authToken: string; whatsappNumber: string; friendlyName?: string },
) {
  await page.getByLabel('Account SID', { exact: true }).fill(input.accountSid);
  await page.getByLabel('Auth Token', { exact: true }).fill(input.authToken);
  await page.getByLabel('WhatsApp number', { exact: true }).fill(input.whatsappNumber);
  if (input.friendlyName) await page.getByLabel('Name (optional)', { exact: true }).fill(input.friendlyName);
}

/** The connection's card, found by its heading (the friendly name, else the number). */
export function connectionCard(page: Page, title: string) {
  return page.getByRole('article', { name: title });
}

/** A sender to connect: a fresh Twilio account in the simulator and a WhatsApp number it holds. */
export interface SeededSender {
  account: TwilioAccount;
  number: string;
}

/** Seeds a Twilio account with a new WhatsApp sender and types it into the connect form, not yet submitted. */
export async function fillConnectFormWithNewSender(
  page: Page,
  simulator: SimulatorControl,
  friendlyName?: string,
): Promise<SeededSender> {
  const account = await simulator.seedAccount();
  const number = uniqueWhatsappNumber();
  await simulator.addWhatsappSender(account.sid, number);
  await fillConnectForm(page, {
    accountSid: account.sid,
    authToken: account.authToken,
    whatsappNumber: number,
    friendlyName,
  });
  return { account, number };
}

/** As fillConnectFormWithNewSender, then presses Connect; what the card shows is left to the test. */
export async function connectNewSender(
  page: Page,
  simulator: SimulatorControl,
  friendlyName?: string,
): Promise<SeededSender> {
  const sender = await fillConnectFormWithNewSender(page, simulator, friendlyName);
  await page.getByRole('button', { name: 'Connect', exact: true }).click();
  return sender;
}
