import type { ConnectionWriteResult } from '@app/contracts';
import { TWILIO_SANDBOX_NUMBER } from '@app/twilio';
import { describe, expect, it } from 'vitest';
import { seedTwilioAccount } from './connections-world.ts';
import { signUpOrganization, useTestServer } from './helpers.ts';

// The sandbox number is shared by every Twilio account; each account connects it once.

describe('whatsapp.connections and the shared sandbox number', () => {
  const server = useTestServer(() => ({}), { simulator: true });

  const sandboxOf = (account: { accountSid: string; authToken: string }) => ({
    accountSid: account.accountSid,
    authToken: account.authToken,
    whatsappNumber: TWILIO_SANDBOX_NUMBER,
  });

  it('update into an account whose sandbox is connected in another organization: a conflict, not a server error, and the row is unchanged', async () => {
    const first = await signUpOrganization(server, 'Sandbox First');
    const second = await signUpOrganization(server, 'Sandbox Second');
    const accountOne = seedTwilioAccount(server.simulator);
    const accountTwo = seedTwilioAccount(server.simulator);
    const one = await first.owner.mutation<ConnectionWriteResult>(
      'whatsapp.connections.create',
      sandboxOf(accountOne),
    );
    expect(one.error).toBeUndefined();
    const two = await second.owner.mutation<ConnectionWriteResult>(
      'whatsapp.connections.create',
      sandboxOf(accountTwo),
    );
    expect(two.error).toBeUndefined();

    const moved = await second.owner.mutation('whatsapp.connections.update', {
      id: two.data.id,
      accountSid: accountOne.accountSid,
      authToken: accountOne.authToken,
    });
    expect(moved.error).toMatchObject({
      code: 'CONFLICT',
      message: 'This WhatsApp number is already connected with that Twilio account.',
    });
    for (const leak of ['Sandbox First', first.organizationId, one.data.id, accountOne.authToken]) {
      expect(moved.raw.body).not.toContain(leak);
    }
    const still = await second.owner.query<ConnectionWriteResult>('whatsapp.connections.get', {
      id: two.data.id,
    });
    expect(still.data.accountSid).toBe(accountTwo.accountSid);
  });
});
