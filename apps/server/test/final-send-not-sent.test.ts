import { TwilioAdapterError } from '@app/twilio';
import { describe, expect, it } from 'vitest';
import { mayHaveReachedTwilio } from '../src/messages/send-message.ts';

/** An 'unreachable' adapter error around a Node network error, as axios wraps it. */
function unreachable(code: string, syscall: string | undefined) {
  const nodeError = Object.assign(new Error(`${syscall ?? ''} ${code}`), {
    code,
    ...(syscall ? { syscall } : {}),
  });
  const axiosError = Object.assign(new Error(nodeError.message, { cause: nodeError }), { code });
  return new TwilioAdapterError('unreachable', 'Twilio could not be reached. Try again in a minute.', {
    cause: axiosError,
  });
}

describe('whether a failed send may have reached Twilio (a sure "no" marks the row failed)', () => {
  it.each([
    ['ECONNREFUSED', 'connect'],
    ['ENOTFOUND', 'getaddrinfo'],
    ['EHOSTUNREACH', 'connect'],
    ['ENETUNREACH', 'connect'],
    ['ECONNRESET', 'connect'],
    ['ETIMEDOUT', 'connect'],
  ])('%s during %s: not sent', (code, syscall) => {
    expect(mayHaveReachedTwilio(unreachable(code, syscall))).toBe(false);
  });

  it.each([
    ['ECONNRESET', 'read'],
    ['ETIMEDOUT', 'read'],
    ['ECONNRESET', undefined],
    ['ECONNABORTED', undefined],
  ])('%s during %s: may have been sent', (code, syscall) => {
    expect(mayHaveReachedTwilio(unreachable(code, syscall))).toBe(true);
  });

  it('every address of the host failing to connect (AggregateError): not sent', () => {
    const attempt = (code: string) => Object.assign(new Error(code), { code, syscall: 'connect' });
    const all = new AggregateError([attempt('ENETUNREACH'), attempt('ETIMEDOUT')], 'connect failed');
    const error = new TwilioAdapterError('unreachable', 'Twilio could not be reached.', { cause: all });
    expect(mayHaveReachedTwilio(error)).toBe(false);
  });
});
