import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { errorCode, isDatabaseUnavailable, isUniqueViolation, retryOnDeadlock } from '../src/errors.ts';
import { useTestDatabase } from '../src/vitest.ts';

const withCode = (code: string, cause?: unknown) => Object.assign(new Error(code, { cause }), { code });

describe('classifying query errors', () => {
  const database = useTestDatabase();

  it('takes the innermost code of the cause chain', () => {
    expect(errorCode(new Error('outer', { cause: withCode('23505') }))).toBe('23505');
    expect(errorCode(withCode('X', withCode('23503')))).toBe('23503');
    expect(errorCode(new Error('no code'))).toBeUndefined();
    expect(isUniqueViolation(new Error('wrapped', { cause: withCode('23505') }))).toBe(true);
  });

  it('unavailable: unreachable, shutting down, out of resources, lost a race; not: refused rows, privileges, bugs', () => {
    for (const code of [
      'ECONNREFUSED',
      'CONNECTION_CLOSED',
      'CONNECT_TIMEOUT',
      '08006',
      '57P01',
      '57P03',
      '53300',
      '40001',
      '40P01',
    ]) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(true);
    }
    for (const code of ['23505', '23503', '22P02', '42501', '42P01', 'UNDEFINED_VALUE']) {
      expect(isDatabaseUnavailable(withCode(code)), code).toBe(false);
    }
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);
  });

  it('a real refused connection and a real missing privilege are told apart', async () => {
    const down = postgres('postgres://nobody:x@127.0.0.1:9/none', { connect_timeout: 2, max: 1 });
    const refused = await down`select 1`.catch((e: unknown) => e);
    await down.end();
    expect(isDatabaseUnavailable(refused)).toBe(true);

    const denied = await database.db.$client
      .begin(async (tx) => {
        await tx`set local role anon`;
        await tx`select * from twilio_whatsapp_webhook_events`;
      })
      .catch((e: unknown) => e);
    expect(errorCode(denied)).toBe('42501');
    expect(isDatabaseUnavailable(denied)).toBe(false);
  });
});

describe('retryOnDeadlock', () => {
  it('runs the transaction again after a deadlock (40P01), and only then', async () => {
    let calls = 0;
    const answer = await retryOnDeadlock(async () => {
      calls++;
      if (calls < 3) throw new Error('aborted', { cause: withCode('40P01') });
      return 'done';
    });
    expect(answer).toBe('done');
    expect(calls).toBe(3);

    let refused = 0;
    await expect(
      retryOnDeadlock(async () => {
        refused++;
        throw withCode('23505');
      }),
    ).rejects.toThrow('23505');
    expect(refused).toBe(1);
  });

  it('gives up after the last attempt with the deadlock itself', async () => {
    let calls = 0;
    await expect(
      retryOnDeadlock(async () => {
        calls++;
        throw withCode('40P01');
      }, 2),
    ).rejects.toThrow('40P01');
    expect(calls).toBe(2);
  });
});
