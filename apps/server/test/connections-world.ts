import type { ConnectionWriteResult } from '@app/contracts';
import type { RunningTwilioSimulator } from '@app/twilio/simulator';
import type { TestClient } from './helpers.ts';

let numberCounter = 0;
/** A fresh E.164 number for this run (never the sandbox's). */
export function uniqueNumber(): string {
  numberCounter += 1;
  return `+1555${String((process.pid * 100 + numberCounter) % 10_000_000).padStart(7, '0')}`;
}

export interface TwilioAccountFixture {
  accountSid: string;
  authToken: string;
  /** A number registered as a Senders API WhatsApp sender (XE…). */
  senderNumber: string;
  senderSid: string;
  /** A phone number of the account (PN…), found through IncomingPhoneNumbers. */
  phoneNumber: string;
  phoneNumberSid: string;
}

/** A Twilio account in the simulator with one WhatsApp sender and one phone number. */
export function seedTwilioAccount(simulator: RunningTwilioSimulator): TwilioAccountFixture {
  const { sid, authToken } = simulator.sim.seedAccount();
  const senderNumber = uniqueNumber();
  const phoneNumber = uniqueNumber();
  const sender = simulator.sim.addWhatsappSender(sid, senderNumber);
  const number = simulator.sim.addIncomingNumber(sid, phoneNumber);
  return {
    accountSid: sid,
    authToken,
    senderNumber,
    senderSid: sender.sid,
    phoneNumber,
    phoneNumberSid: number.sid,
  };
}

/** Connects the account's sender number through the API; throws when refused. */
export async function connectSender(
  client: TestClient,
  account: TwilioAccountFixture,
  friendlyName = 'Support',
) {
  const res = await client.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
    accountSid: account.accountSid,
    authToken: account.authToken,
    whatsappNumber: account.senderNumber,
    friendlyName,
  });
  if (res.error) throw new Error(`connect failed: ${res.error.message}`);
  return res.data;
}

/** A well-formed but unused Auth Token. */
export function otherToken(token: string): string {
  return token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
}
