import { TwilioAdapterError } from '@app/twilio';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { EmailTakenError } from '../src/auth/members.ts';
import {
  ConnectionNotFoundError,
  ConnectionPausedError,
  NumberAlreadyConnectedError,
  StoredTokenUnreadableError,
} from '../src/connections/errors.ts';
import { TWILIO_UNREACHABLE, TwilioRefusalError } from '../src/connections/twilio-errors.ts';
import type { DomainError } from '../src/domain-error.ts';
import { InvalidCursorError } from '../src/messages/cursor.ts';
import { CustomerWindowClosedError } from '../src/messages/customer-window.ts';
import { MAYBE_DELIVERED, MessageOutcomeUnknownError } from '../src/messages/send-message.ts';
import {
  TemplateNotApprovedError,
  TemplateNotFoundError,
  TemplateVariablesError,
} from '../src/templates/errors.ts';
import type { Context } from '../src/trpc/context.ts';
import { domainErrorToTRPCError } from '../src/trpc/domain-errors.ts';
import { ProcedureRateLimiter } from '../src/trpc/rate-limits.ts';
import { createCallerFactory, publicProcedure, router } from '../src/trpc/trpc.ts';

const rejected = new TwilioAdapterError(
  'rejected_credentials',
  'Twilio rejected these credentials (20003).',
  {
    twilioCode: 20003,
    field: 'authToken',
  },
);
const unreachable = new TwilioAdapterError(
  'unreachable',
  'Twilio could not be reached. Try again in a minute.',
);
const badRecipient = new TwilioAdapterError(
  'invalid_request',
  'The recipient is not a valid phone number (21211).',
  {
    twilioCode: 21211,
    field: 'to',
  },
);

describe('a service error becomes the tRPC error its kind says, with its message and field', () => {
  it.each<[string, DomainError, string, string | undefined]>([
    ['a connection not found', new ConnectionNotFoundError(), 'NOT_FOUND', undefined],
    [
      'a number connected twice',
      new NumberAlreadyConnectedError('+15550001111 is already connected.'),
      'CONFLICT',
      undefined,
    ],
    ['an email taken', new EmailTakenError(), 'CONFLICT', 'email'],
    ['a paused connection', new ConnectionPausedError(), 'PRECONDITION_FAILED', undefined],
    ['an unreadable stored token', new StoredTokenUnreadableError(), 'PRECONDITION_FAILED', 'authToken'],
    ['a cursor we did not make', new InvalidCursorError(), 'BAD_REQUEST', 'cursor'],
    ['a send Twilio may have accepted', new MessageOutcomeUnknownError(), 'GATEWAY_TIMEOUT', undefined],
    [
      'credentials refused while connecting',
      new TwilioRefusalError(rejected, 'connect'),
      'BAD_REQUEST',
      'authToken',
    ],
    [
      'stored credentials refused while sending',
      new TwilioRefusalError(rejected, 'send'),
      'PRECONDITION_FAILED',
      undefined,
    ],
    [
      'Twilio unreachable while connecting',
      new TwilioRefusalError(unreachable, 'connect'),
      'SERVICE_UNAVAILABLE',
      undefined,
    ],
    ['a recipient Twilio refused', new TwilioRefusalError(badRecipient, 'send'), 'BAD_REQUEST', 'to'],
    [
      'free text outside the 24-hour window',
      new CustomerWindowClosedError('+15550001111', null),
      'PRECONDITION_FAILED',
      'body',
    ],
    ['a template the account lacks', new TemplateNotFoundError(), 'BAD_REQUEST', 'template.contentSid'],
    [
      'a template WhatsApp has not approved',
      new TemplateNotApprovedError('Promo', 'WhatsApp is still reviewing this template.'),
      'BAD_REQUEST',
      'template.contentSid',
    ],
    [
      'a template variable left out',
      new TemplateVariablesError('Fill in {{2}}.', '2'),
      'BAD_REQUEST',
      'template.variables.2',
    ],
  ])('%s', (_, error, code, field) => {
    const mapped = domainErrorToTRPCError(error);
    expect(mapped.code).toBe(code);
    expect(mapped.message).toBe(error.message);
    expect(error.field).toBe(field);
  });

  it('the same Twilio failure reads differently for the admin connecting and the member sending', () => {
    expect(new TwilioRefusalError(unreachable, 'connect').message).toBe(TWILIO_UNREACHABLE);
    expect(new TwilioRefusalError(unreachable, 'send').message).toBe(unreachable.message);
    expect(new TwilioRefusalError(rejected, 'send').message).toMatch(
      /An owner or admin can update the Auth Token/,
    );
    expect(new MessageOutcomeUnknownError().message).toBe(MAYBE_DELIVERED);
  });

  it('a procedure throwing a domain error fails with the mapped code, not INTERNAL_SERVER_ERROR', async () => {
    const testRouter = router({
      find: publicProcedure.query(() => {
        throw new ConnectionNotFoundError();
      }),
      crash: publicProcedure.query(() => {
        throw new Error('a bug');
      }),
    });
    const ctx = {
      req: { method: 'GET', headers: {}, ip: '127.0.0.1' },
      services: { publicUrl: new URL('http://127.0.0.1:3000') },
      rateLimiter: new ProcedureRateLimiter({}),
      user: null,
    } as unknown as Context;
    const caller = createCallerFactory(testRouter)(ctx);
    const notFound = await caller.find().catch((error: unknown) => error);
    expect(notFound).toBeInstanceOf(TRPCError);
    expect(notFound).toMatchObject({
      code: 'NOT_FOUND',
      message: 'No such WhatsApp connection in your organization.',
    });
    await expect(caller.crash()).rejects.toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
  });
});

describe("Twilio's own error never travels with a refusal", () => {
  it('keeps only the Twilio code: the request (its Authorization header) is not reachable from the API error', async () => {
    const { inspect } = await import('node:util');
    const withRequest = new TwilioAdapterError('invalid_request', 'The recipient is not valid (21211).', {
      twilioCode: 21211,
      field: 'to',
      cause: Object.assign(new Error('400'), {
        config: { headers: { Authorization: 'Basic QUN4eHg6c2VjcmV0LXRva2Vu' } },
      }),
    });
    const refusal = new TwilioRefusalError(withRequest, 'send');
    expect(refusal.twilioCode).toBe(21211);
    const api = domainErrorToTRPCError(refusal);
    expect(inspect(api, { depth: Number.POSITIVE_INFINITY, showHidden: true })).not.toContain(
      'QUN4eHg6c2VjcmV0LXRva2Vu',
    );
  });
});
