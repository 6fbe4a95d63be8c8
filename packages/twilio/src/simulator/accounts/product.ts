import type { SimulatorCore } from '../core/core.ts';
import { v2010Page } from '../core/paging.ts';
import type { Answer, Form, OperationContext, OperationHandler, SimulatedProduct } from '../core/rest.ts';
import { notFound, ok, rejectIfInvalid, single } from '../core/rest.ts';
import type { SimIncomingNumber } from './numbers.ts';
import { IncomingNumbers } from './numbers.ts';
import { accountResource, incomingNumberResource } from './resources.ts';

/** v2010 Accounts and IncomingPhoneNumbers: the account itself and its phone numbers. */
export class AccountsAndNumbers implements SimulatedProduct {
  readonly numbers = new IncomingNumbers();
  readonly #core: SimulatorCore;

  constructor(core: SimulatorCore) {
    this.#core = core;
  }

  addIncomingNumber(accountSid: string, e164: string): SimIncomingNumber {
    this.#core.accounts.require(accountSid);
    return this.numbers.add(accountSid, e164);
  }

  reset() {
    this.numbers.reset();
  }

  readonly operations: Readonly<Record<string, OperationHandler>> = {
    FetchAccount: (ctx) => {
      if (ctx.pathParams.Sid !== ctx.account.sid) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, accountResource(ctx.account));
    },
    ListIncomingPhoneNumber: (ctx) => rejectIfInvalid(ctx) ?? this.#listNumbers(ctx),
    FetchIncomingPhoneNumber: (ctx) => {
      const number = this.numbers.find(ctx.account.sid, ctx.pathParams.Sid);
      if (!number) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, incomingNumberResource(number));
    },
    UpdateIncomingPhoneNumber: (ctx) => {
      const number = this.numbers.find(ctx.account.sid, ctx.pathParams.Sid);
      if (!number) return notFound(ctx.path);
      return rejectIfInvalid(ctx) ?? ok(200, incomingNumberResource(updateNumber(number, ctx.body as Form)));
    },
  };

  #listNumbers(ctx: OperationContext): Answer {
    const phoneNumber = single(ctx.query.PhoneNumber);
    const friendlyName = single(ctx.query.FriendlyName);
    const found = [...this.numbers.numbers.values()].filter(
      (n) =>
        n.accountSid === ctx.account.sid &&
        (phoneNumber === undefined || n.phoneNumber.includes(phoneNumber)) &&
        (friendlyName === undefined || n.friendlyName === friendlyName),
    );
    const base = `/2010-04-01/Accounts/${ctx.account.sid}/IncomingPhoneNumbers.json`;
    return ok(200, v2010Page(base, ctx.query, 'incoming_phone_numbers', found.map(incomingNumberResource)));
  }
}

/** Applies UpdateIncomingPhoneNumber's form: an empty URL clears it. */
function updateNumber(number: SimIncomingNumber, form: Form): SimIncomingNumber {
  const smsUrl = single(form.SmsUrl);
  const statusCallback = single(form.StatusCallback);
  const smsMethod = single(form.SmsMethod);
  const statusCallbackMethod = single(form.StatusCallbackMethod);
  const friendlyName = single(form.FriendlyName);
  if (smsUrl !== undefined) number.smsUrl = smsUrl === '' ? null : smsUrl;
  if (statusCallback !== undefined) number.statusCallback = statusCallback === '' ? null : statusCallback;
  if (smsMethod === 'GET' || smsMethod === 'POST') number.smsMethod = smsMethod;
  if (statusCallbackMethod === 'GET' || statusCallbackMethod === 'POST') {
    number.statusCallbackMethod = statusCallbackMethod;
  }
  if (friendlyName !== undefined) number.friendlyName = friendlyName;
  number.dateUpdated = new Date();
  return number;
}
