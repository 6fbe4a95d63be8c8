import { Writable } from 'node:stream';
import type { ConnectionWriteResult } from '@app/contracts';
import { twilioWhatsappConnections as connections, withServiceRole } from '@app/db';
import { describe, expect, it } from 'vitest';
import { otherToken, seedTwilioAccount } from './connections-world.ts';
import { signUpOrganization, TEST_PASSWORD, type TrpcAnswer, useTestServer } from './helpers.ts';

/** Every log line the server writes, kept for inspection. */
class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: string, done: () => void) {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
}

describe('no token, ciphertext, password or session token in any answer or log line', () => {
  const logs = new LogCapture();
  const server = useTestServer(() => ({ logLevel: 'trace', logStream: logs }), { simulator: true });

  it('holds through the whole connect flow, failures included', async () => {
    const answers: TrpcAnswer[] = [];
    const keep = <T>(a: TrpcAnswer<T>) => {
      answers.push(a as TrpcAnswer);
      return a;
    };
    const org = await signUpOrganization(server, 'Secretive');
    const account = seedTwilioAccount(server.simulator);
    const wrongToken = otherToken(account.authToken);
    const admin = await org.addPerson('admin');

    keep(
      await admin.mutation('whatsapp.connections.create', {
        accountSid: account.accountSid,
        authToken: wrongToken,
        whatsappNumber: account.senderNumber,
      }),
    );
    const created = keep(
      await admin.mutation<ConnectionWriteResult>('whatsapp.connections.create', {
        accountSid: account.accountSid,
        authToken: account.authToken,
        whatsappNumber: account.senderNumber,
        friendlyName: 'Front desk',
      }),
    );
    expect(created.error).toBeUndefined();
    const id = created.data.id;
    keep(await admin.mutation('whatsapp.connections.update', { id, authToken: wrongToken }));
    keep(await admin.mutation('whatsapp.connections.update', { id, authToken: account.authToken }));
    keep(await admin.mutation('whatsapp.connections.update', { id, authToken: 'not a token' }));
    keep(await admin.mutation('whatsapp.connections.verify', { id }));
    keep(await admin.mutation('whatsapp.connections.configureWebhooks', { id }));
    keep(await admin.query('whatsapp.connections.list'));
    keep(await admin.query('whatsapp.connections.get', { id }));
    keep(await admin.query('whatsapp.events.list', { connectionId: id }));
    keep(await admin.mutation('whatsapp.connections.setActive', { id, isActive: false }));
    const [row] = await withServiceRole(server.db, (tx) => tx.select().from(connections));
    const ciphertext = row!.twilioAuthTokenHash!;
    keep(await admin.mutation('whatsapp.connections.delete', { id }));
    keep(await admin.mutation('auth.signIn', { email: org.ownerEmail, password: `${TEST_PASSWORD}!` }));
    const sessionToken = decodeURIComponent(admin.cookie!.slice('wa_session='.length)).split('.')[0]!;
    keep(await admin.mutation('auth.signOut'));

    const secrets = {
      authToken: account.authToken,
      wrongToken,
      ciphertext,
      ciphertextBody: ciphertext.split('.')[4]!,
      password: TEST_PASSWORD,
      sessionToken,
    };
    expect(logs.lines.length).toBeGreaterThan(20);
    for (const [name, secret] of Object.entries(secrets)) {
      for (const line of logs.lines) expect(line.includes(secret), `${name} in log: ${line}`).toBe(false);
      for (const answer of answers) expect(answer.raw.body.includes(secret), `${name} in answer`).toBe(false);
    }
    // The capture saw the flow (so an empty log could not pass for a clean one).
    expect(logs.lines.some((l) => l.includes('/trpc/whatsapp.connections.create'))).toBe(true);
    expect(server.simulator.sim.oaiViolations()).toEqual([]);
  });
});
