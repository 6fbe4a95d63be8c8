import { randomUUID } from 'node:crypto';
import type { WebhookEvent, WhatsappConnection } from '@app/contracts';
import { twilioWhatsappConnections as connections, withServiceRole } from '@app/db';
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { uniqueNumber } from './connections-world.ts';
import {
  TestClient as Client,
  type SignedInOrganization,
  signUpOrganization,
  type TestClient,
  useTestServer,
} from './helpers.ts';

// Who may do what, and what bad input gets. No simulator: the adapter points at a
// closed port, so any Twilio call here would fail as "unreachable".

const ACCOUNT_SID = `AC${'a1'.repeat(16)}`;
const AUTH_TOKEN = 'f'.repeat(32);

describe('whatsapp.connections: access and input', () => {
  const server = useTestServer();
  let acme: SignedInOrganization;
  let member: TestClient;
  let admin: TestClient;
  let rival: SignedInOrganization;
  let connectionId: string;

  /** A stored connection for `organizationId`, as the connect flow would leave it. */
  async function seedConnection(organizationId: string): Promise<string> {
    const id = randomUUID();
    await withServiceRole(server.db, (tx) =>
      tx.insert(connections).values({
        id,
        organizationId,
        twilioAccountSid: ACCOUNT_SID,
        twilioAuthTokenHash: server.vault.encrypt(AUTH_TOKEN, { rowId: id, accountSid: ACCOUNT_SID }),
        whatsappNumber: uniqueNumber(),
        whatsappNumberSid: `XE${'0'.repeat(32)}`,
        webhookConfigured: true,
      }),
    );
    return id;
  }

  const rowCount = async () => {
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select({ n: sql<number>`count(*)::int` }).from(connections),
    );
    return row?.n ?? 0;
  };

  const snapshot = () =>
    withServiceRole(server.db, (tx) => tx.select().from(connections).orderBy(connections.id));

  beforeAll(async () => {
    acme = await signUpOrganization(server, 'Acme');
    member = await acme.addPerson('member');
    admin = await acme.addPerson('admin');
    rival = await signUpOrganization(server, 'Rival');
    connectionId = await seedConnection(acme.organizationId);
  });

  const writes = (id: string): Array<[string, unknown]> => [
    [
      'whatsapp.connections.create',
      { accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, whatsappNumber: uniqueNumber() },
    ],
    ['whatsapp.connections.update', { id, friendlyName: 'x' }],
    ['whatsapp.connections.update', { id, authToken: AUTH_TOKEN }],
    ['whatsapp.connections.verify', { id }],
    ['whatsapp.connections.configureWebhooks', { id }],
    ['whatsapp.connections.setActive', { id, isActive: false }],
    ['whatsapp.connections.delete', { id }],
    ['whatsapp.connections.deleteHistory', { id, confirmation: '+15550000000' }],
  ];

  it('a member sees the list and each connection', async () => {
    const list = await member.query<WhatsappConnection[]>('whatsapp.connections.list');
    expect(list.data.map((c) => c.id)).toEqual([connectionId]);
    const got = await member.query<WhatsappConnection>('whatsapp.connections.get', { id: connectionId });
    expect(got.data.id).toBe(connectionId);
  });

  it('a member gets FORBIDDEN on every write, and nothing changes', async () => {
    const before = await snapshot();
    for (const [path, input] of writes(connectionId)) {
      const res = await member.mutation(path, input);
      expect(res.error?.code, path).toBe('FORBIDDEN');
    }
    expect(await snapshot()).toEqual(before);
  });

  it('a member may not read the webhook events (they are for admins, as RLS has it)', async () => {
    const res = await member.query('whatsapp.events.list', { connectionId });
    expect(res.error?.code).toBe('FORBIDDEN');
  });

  it('an admin may manage connections', async () => {
    const id = await seedConnection(acme.organizationId);
    const res = await admin.mutation<WhatsappConnection>('whatsapp.connections.setActive', {
      id,
      isActive: false,
    });
    expect(res.data.isActive).toBe(false);
    expect((await admin.query<WebhookEvent[]>('whatsapp.events.list', { connectionId: id })).data).toEqual(
      [],
    );
    expect((await admin.mutation('whatsapp.connections.delete', { id })).error).toBeUndefined();
  });

  it("another organization's connection is NOT_FOUND for every procedure, and stays untouched", async () => {
    const before = await snapshot();
    const reads: Array<[string, unknown]> = [
      ['whatsapp.connections.get', { id: connectionId }],
      ['whatsapp.events.list', { connectionId }],
    ];
    for (const [path, input] of reads) {
      const res = await rival.owner.query(path, input);
      expect(res.error, path).toMatchObject({
        code: 'NOT_FOUND',
        message: 'No such WhatsApp connection in your organization.',
      });
    }
    for (const [path, input] of writes(connectionId).slice(1)) {
      const res = await rival.owner.mutation(path, input);
      expect(res.error?.code, path).toBe('NOT_FOUND');
    }
    expect((await rival.owner.query<WhatsappConnection[]>('whatsapp.connections.list')).data).toEqual([]);
    expect(await snapshot()).toEqual(before);
  });

  it('an unknown id is NOT_FOUND', async () => {
    const res = await acme.owner.mutation('whatsapp.connections.setActive', {
      id: randomUUID(),
      isActive: true,
    });
    expect(res.error?.code).toBe('NOT_FOUND');
  });

  it('without a session every procedure is UNAUTHORIZED', async () => {
    const anonymous = new Client(() => server.app);
    expect((await anonymous.query('whatsapp.connections.list')).error?.code).toBe('UNAUTHORIZED');
    expect((await anonymous.query('whatsapp.connections.get', { id: connectionId })).error?.code).toBe(
      'UNAUTHORIZED',
    );
    expect((await anonymous.query('whatsapp.events.list', { connectionId })).error?.code).toBe(
      'UNAUTHORIZED',
    );
    for (const [path, input] of writes(connectionId)) {
      expect((await anonymous.mutation(path, input)).error?.code, path).toBe('UNAUTHORIZED');
    }
  });

  const badCreates: Array<[string, Record<string, unknown>, string]> = [
    ['a malformed Account SID', { accountSid: 'AC123' }, 'accountSid'],
    ['an Account SID with the wrong prefix', { accountSid: `SK${'a'.repeat(32)}` }, 'accountSid'],
    ['an Auth Token with spaces', { authToken: `${'a'.repeat(16)} ${'a'.repeat(15)}` }, 'authToken'],
    ['an Auth Token of the wrong length', { authToken: 'a'.repeat(31) }, 'authToken'],
    ['a missing Auth Token', { authToken: undefined }, 'authToken'],
    ['a number without country code', { whatsappNumber: '5551234567' }, 'whatsappNumber'],
    ['a number with letters', { whatsappNumber: '+1555CALLNOW' }, 'whatsappNumber'],
    ['an oversized number', { whatsappNumber: `+1${'5'.repeat(100)}` }, 'whatsappNumber'],
    ['an oversized friendly name', { friendlyName: 'n'.repeat(65) }, 'friendlyName'],
  ];

  it.each(badCreates)(
    'create with %s is BAD_REQUEST at that field, and stores nothing',
    async (_label, change, field) => {
      const before = await rowCount();
      const input = {
        accountSid: ACCOUNT_SID,
        authToken: AUTH_TOKEN,
        whatsappNumber: uniqueNumber(),
        ...change,
      };
      const res = await acme.owner.mutation('whatsapp.connections.create', input);
      expect(res.error?.code).toBe('BAD_REQUEST');
      expect(res.error?.fieldErrors?.[field]?.[0]).toEqual(expect.any(String));
      expect(res.error?.message).toBe(res.error?.fieldErrors?.[field]?.[0]);
      expect(await rowCount()).toBe(before);
    },
  );

  it('malformed ids are BAD_REQUEST at the id field on every procedure', async () => {
    for (const id of ['not-a-uuid', '', 'x'.repeat(5000), 42]) {
      for (const path of ['whatsapp.connections.get']) {
        const res = await acme.owner.query(path, { id });
        expect(res.error?.code, `${path} ${String(id).slice(0, 10)}`).toBe('BAD_REQUEST');
        expect(res.error?.fieldErrors?.id).toBeDefined();
      }
      const events = await acme.owner.query('whatsapp.events.list', { connectionId: id });
      expect(events.error?.fieldErrors?.connectionId).toBeDefined();
      for (const [path, input] of writes(String(id)).slice(1)) {
        const res = await acme.owner.mutation(path, { ...(input as object), id });
        expect(res.error?.code, path).toBe('BAD_REQUEST');
        expect(res.error?.fieldErrors?.id, path).toBeDefined();
      }
    }
  });

  it('update refuses a malformed token or SID at its field and changes nothing', async () => {
    const before = await snapshot();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ authToken: 'short' }, 'authToken'],
      [{ authToken: `${'a'.repeat(31)} a` }, 'authToken'],
      [{ accountSid: 'ACnothex', authToken: AUTH_TOKEN }, 'accountSid'],
      [{ friendlyName: 'n'.repeat(65) }, 'friendlyName'],
    ];
    for (const [change, field] of cases) {
      const res = await acme.owner.mutation('whatsapp.connections.update', { id: connectionId, ...change });
      expect(res.error?.code).toBe('BAD_REQUEST');
      expect(res.error?.fieldErrors?.[field], field).toBeDefined();
    }
    const setActive = await acme.owner.mutation('whatsapp.connections.setActive', {
      id: connectionId,
      isActive: 'no',
    });
    expect(setActive.error?.fieldErrors?.isActive).toBeDefined();
    const limit = await acme.owner.query('whatsapp.events.list', { connectionId, limit: 10_000 });
    expect(limit.error?.fieldErrors?.limit).toBeDefined();
    expect(await snapshot()).toEqual(before);
  });

  it('Twilio unreachable: create answers a retryable error saying nothing was saved', async () => {
    const before = await rowCount();
    const res = await acme.owner.mutation('whatsapp.connections.create', {
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      whatsappNumber: uniqueNumber(),
    });
    expect(res.error).toMatchObject({
      code: 'SERVICE_UNAVAILABLE',
      message: 'Twilio could not be reached. Nothing was saved; try again.',
    });
    expect(await rowCount()).toBe(before);
  });

  it('a stored token that no longer decrypts says to enter it again, at the authToken field', async () => {
    const id = await seedConnection(acme.organizationId);
    // Flip one bit of the ciphertext.
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select().from(connections).where(eq(connections.id, id)),
    );
    const parts = row!.twilioAuthTokenHash!.split('.');
    const body = Buffer.from(parts[4]!, 'base64url');
    body[0] = body[0]! ^ 1;
    parts[4] = body.toString('base64url');
    await withServiceRole(server.db, (tx) =>
      tx
        .update(connections)
        .set({ twilioAuthTokenHash: parts.join('.') })
        .where(eq(connections.id, id)),
    );
    const res = await acme.owner.mutation('whatsapp.connections.verify', { id });
    expect(res.error?.code).toBe('PRECONDITION_FAILED');
    expect(res.error?.fieldErrors?.authToken?.[0]).toMatch(/Enter the Auth Token again/);
  });
});
