import { assertE164, newSid } from '../core/ids.ts';

export interface SimIncomingNumber {
  sid: string;
  accountSid: string;
  phoneNumber: string;
  friendlyName: string;
  smsUrl: string | null;
  smsMethod: 'GET' | 'POST';
  statusCallback: string | null;
  statusCallbackMethod: 'GET' | 'POST';
  dateCreated: Date;
  dateUpdated: Date;
}

/** The accounts' phone numbers (IncomingPhoneNumbers, PN…). */
export class IncomingNumbers {
  readonly numbers = new Map<string, SimIncomingNumber>();

  add(accountSid: string, e164: string): SimIncomingNumber {
    assertE164(e164);
    const now = new Date();
    const number: SimIncomingNumber = {
      sid: newSid('PN'),
      accountSid,
      phoneNumber: e164,
      friendlyName: e164,
      smsUrl: null,
      smsMethod: 'POST',
      statusCallback: null,
      statusCallbackMethod: 'POST',
      dateCreated: now,
      dateUpdated: now,
    };
    this.numbers.set(number.sid, number);
    return number;
  }

  /** The account's number `e164`, if it has it. */
  of(accountSid: string, e164: string): SimIncomingNumber | undefined {
    return [...this.numbers.values()].find((n) => n.accountSid === accountSid && n.phoneNumber === e164);
  }

  /** The account that has the number `e164`. */
  ownerOf(e164: string): string | undefined {
    return [...this.numbers.values()].find((n) => n.phoneNumber === e164)?.accountSid;
  }

  /** The number with this SID, if it belongs to the account. */
  find(accountSid: string, sid: string | undefined): SimIncomingNumber | undefined {
    const number = this.numbers.get(sid ?? '');
    return number?.accountSid === accountSid ? number : undefined;
  }

  reset() {
    this.numbers.clear();
  }
}
