import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { describe, expect, it } from 'vitest';
import { otherToken, seedTwilioAccount } from './connections-world.ts';
import { signUpOrganization, useTestServer } from './helpers.ts';

// The sandbox number is shared by every Twilio account; each account connects it once.

describe('whatsapp.connections and the shared sandbox number', () => {
  const server = useTestServer(() => ({}), { simulator: true });

  const sandboxOf = (account: { accountSid: string; authToken: string }) => ({
    accountSid: account.accountSid,
    authToken: account.authToken,
    whatsappNumber: TWILIO_SANDBOX_NUMBER,
  });

  it('create with a wrong token for an account connected elsewhere: the credentials are refused, nothing about the other connection is told', async () => {
    const holder = await signUpOrganization(server, 'Sandbox Holder');
    const prober = await signUpOrganization(server, 'Sandbox Prober');
    const account = seedTwilioAccount(server.simulator);
    const held = await holder.owner.mutation('whatsapp.connections.create', sandboxOf(account));
    expect(held.error).toBeUndefined();

    const probe = await prober.owner.mutation('whatsapp.connections.create', {
      ...sandboxOf(account),
      authToken: otherToken(account.authToken),
    });
    expect(probe.error).toMatchObject({
      code: 'BAD_REQUEST',
      fieldErrors: { authToken: [expect.stringContaining('20003')] },
    });
    expect(probe.raw.body).not.toContain('already connected');
  });
});
