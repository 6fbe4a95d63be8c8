import { createHash } from 'node:crypto';
import { sessions, users, withServiceRole } from '@app/db';
import { eq, sql } from 'drizzle-orm';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import {
  sessionCookieFrom,
  signUpOrganization,
  TEST_PASSWORD,
  TEST_PUBLIC_URL,
  TestClient,
  uniqueEmail,
  useTestServer,
} from './helpers.ts';

describe('sign-up, sign-in and sessions', () => {
  const server = useTestServer();
  const client = () => new TestClient(() => server.app);

  it('sign-up creates the organization and its owner, and signs them in', async () => {
    const c = client();
    const email = uniqueEmail();
    const res = await c.mutation('auth.signUp', {
      organizationName: 'Acme Ltd',
      email,
      password: TEST_PASSWORD,
    });
    expect(res.error).toBeUndefined();
    const me = await c.query('auth.me');
    expect(me.data).toEqual({
      userId: expect.any(String),
      email,
      organizationId: expect.any(String),
      organizationName: 'Acme Ltd',
      role: 'owner',
    });
    expect(JSON.stringify(me.data)).not.toMatch(/session/i);
  });

  it('stores the password as an scrypt hash at OWASP parameters, never in clear', async () => {
    const email = uniqueEmail();
    await client().mutation('auth.signUp', { organizationName: 'Hash Co', email, password: TEST_PASSWORD });
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select({ hash: users.encryptedPassword }).from(users).where(eq(users.email, email)),
    );
    expect(row?.hash).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9_-]{22}\$[A-Za-z0-9_-]{43}$/);
    expect(row?.hash).not.toContain(TEST_PASSWORD);
  });

  it('a second sign-up with the same email is refused at the email field', async () => {
    const email = uniqueEmail();
    await client().mutation('auth.signUp', { organizationName: 'One', email, password: TEST_PASSWORD });
    const again = await client().mutation('auth.signUp', {
      organizationName: 'Two',
      email: email.toUpperCase(),
      password: TEST_PASSWORD,
    });
    expect(again.error?.code).toBe('CONFLICT');
    expect(again.error?.fieldErrors?.email).toBeDefined();
  });

  it('sign-up input is checked field by field', async () => {
    const res = await client().mutation('auth.signUp', {
      organizationName: '',
      email: 'nope',
      password: 'short',
    });
    expect(res.error?.code).toBe('BAD_REQUEST');
    expect(Object.keys(res.error?.fieldErrors ?? {}).sort()).toEqual([
      'email',
      'organizationName',
      'password',
    ]);
  });

  it('unknown email and wrong password get the same answer', async () => {
    const org = await signUpOrganization(server);
    const unknown = await client().mutation('auth.signIn', { email: uniqueEmail(), password: TEST_PASSWORD });
    const wrong = await client().mutation('auth.signIn', {
      email: org.ownerEmail,
      password: 'not the password',
    });
    for (const res of [unknown, wrong]) {
      expect(res.error?.code).toBe('UNAUTHORIZED');
      expect(res.error?.message).toBe("That email and password don't match.");
      expect(sessionCookieFrom(res.raw)).toBeUndefined();
    }
  });

  it('the session cookie is signed, httpOnly, SameSite=Lax, for the whole site, expiring in 7 days', async () => {
    const org = await signUpOrganization(server);
    const res = await client().mutation('auth.signIn', { email: org.ownerEmail, password: TEST_PASSWORD });
    const cookie = res.raw.cookies.find((c) => c.name === 'wa_session');
    expect(cookie).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    if (!cookie) throw new Error('no session cookie');
    expect(cookie.secure).toBeFalsy();
    const days = ((cookie.expires as Date).getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(6.9);
    expect(days).toBeLessThanOrEqual(7);
    // Only the SHA-256 of the token is stored.
    const token = decodeURIComponent(cookie.value).split('.')[0]!;
    const stored = await withServiceRole(server.db, (tx) =>
      tx.select({ hash: sessions.tokenHash }).from(sessions),
    );
    expect(stored.some((s) => s.hash.toString('base64url') === token || s.hash.toString() === token)).toBe(
      false,
    );
    const sha256 = createHash('sha256').update(token).digest();
    expect(stored.some((s) => Buffer.from(s.hash).equals(sha256))).toBe(true);
  });

  it('a forged cookie is not a session', async () => {
    const forged = new TestClient(() => server.app, 'wa_session=abc.def');
    expect((await forged.query('auth.me')).data).toBeNull();
  });

  it('signing in gives a new session; the cookie held before no longer works (fixation)', async () => {
    const org = await signUpOrganization(server);
    const before = org.owner.cookie!;
    const c = new TestClient(() => server.app, before);
    await c.mutation('auth.signIn', { email: org.ownerEmail, password: TEST_PASSWORD });
    expect(c.cookie).toBeDefined();
    expect(c.cookie).not.toBe(before);
    expect((await c.query('auth.me')).data).not.toBeNull();
    expect((await new TestClient(() => server.app, before).query('auth.me')).data).toBeNull();
  });

  it('signing out ends that session only', async () => {
    const org = await signUpOrganization(server);
    const laptop = client();
    const phone = client();
    await laptop.mutation('auth.signIn', { email: org.ownerEmail, password: TEST_PASSWORD });
    await phone.mutation('auth.signIn', { email: org.ownerEmail, password: TEST_PASSWORD });
    const laptopCookie = laptop.cookie!;
    const out = await laptop.mutation('auth.signOut');
    expect(out.error).toBeUndefined();
    expect(laptop.cookie).toBeUndefined();
    expect((await new TestClient(() => server.app, laptopCookie).query('auth.me')).data).toBeNull();
    expect((await phone.query('auth.me')).data).not.toBeNull();
  });

  it('an expired session is refused', async () => {
    const org = await signUpOrganization(server);
    const me = await org.owner.query<{ userId: string }>('auth.me');
    await withServiceRole(server.db, (tx) =>
      tx
        .update(sessions)
        .set({ expiresAt: sql`now() - interval '1 second'` })
        .where(eq(sessions.userId, me.data.userId)),
    );
    expect((await org.owner.query('auth.me')).data).toBeNull();
    const list = await org.owner.query('whatsapp.connections.list');
    expect(list.error?.code).toBe('UNAUTHORIZED');
  });

  it('a mutation from another origin is refused before it runs', async () => {
    const email = uniqueEmail();
    const foreign = await client().mutation(
      'auth.signUp',
      { organizationName: 'Evil', email, password: TEST_PASSWORD },
      { origin: 'https://evil.example' },
    );
    expect(foreign.status).toBe(403);
    expect(foreign.error).toMatchObject({ code: 'FORBIDDEN' });
    const crossSite = await client().mutation(
      'auth.signUp',
      { organizationName: 'Evil', email, password: TEST_PASSWORD },
      { origin: TEST_PUBLIC_URL.origin, 'sec-fetch-site': 'cross-site' },
    );
    expect(crossSite.status).toBe(403);
    const [row] = await withServiceRole(server.db, (tx) =>
      tx.select({ n: sql<number>`count(*)::int` }).from(users).where(eq(users.email, email)),
    );
    expect(row?.n).toBe(0);
  });

  it('a signed-in cross-site mutation is refused before the session is even looked up', async () => {
    const c = client();
    await c.mutation('auth.signUp', {
      organizationName: 'Locked',
      email: uniqueEmail(),
      password: TEST_PASSWORD,
    });
    // While another transaction holds the sessions table, any session lookup would wait.
    const blocker = postgres(server.databaseUrl, { max: 1, onnotice: () => {} });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let locked = () => {};
    const isLocked = new Promise<void>((resolve) => {
      locked = resolve;
    });
    const holding = blocker.begin(async (tx) => {
      await tx`lock table app_private.sessions in access exclusive mode`;
      locked();
      await released;
    });
    try {
      await isLocked;
      const refused = await Promise.race([
        c.mutation(
          'whatsapp.connections.setActive',
          { id: crypto.randomUUID(), isActive: false },
          {
            origin: 'https://evil.example',
          },
        ),
        new Promise<'waited for the session'>((resolve) =>
          setTimeout(() => resolve('waited for the session'), 5_000),
        ),
      ]);
      expect(refused).toMatchObject({ status: 403, error: { code: 'FORBIDDEN' } });
    } finally {
      release();
      await holding;
      await blocker.end();
    }
  });
});

describe('rate limits', () => {
  const server = useTestServer(() => ({
    rateLimits: {
      'auth.signIn': { max: 3, windowMs: 60_000 },
      'auth.signUp': { max: 2, windowMs: 60_000 },
    },
  }));

  it('sign-in attempts past the limit get 429 with a readable tRPC error', async () => {
    const c = new TestClient(() => server.app);
    const attempt = () =>
      c.mutation('auth.signIn', { email: 'a@example.com', password: 'whatever-password' });
    for (let i = 0; i < 3; i++) expect((await attempt()).status).toBe(401);
    const limited = await attempt();
    expect(limited.status).toBe(429);
    expect(limited.error?.code).toBe('TOO_MANY_REQUESTS');
    expect(limited.error?.message).toMatch(/Too many attempts\. Wait \d+ seconds/);
    expect(limited.raw.headers['retry-after']).toBeDefined();
  });

  it('sign-ups past the limit get 429; other procedures are not limited', async () => {
    const c = new TestClient(() => server.app);
    const signUp = () =>
      c.mutation('auth.signUp', { organizationName: 'X', email: uniqueEmail(), password: TEST_PASSWORD });
    expect((await signUp()).error).toBeUndefined();
    expect((await signUp()).error).toBeUndefined();
    expect((await signUp()).status).toBe(429);
    for (let i = 0; i < 5; i++) expect((await c.query('auth.me')).status).toBe(200);
  });
});

describe('connect attempts are rate limited too', () => {
  const server = useTestServer(() => ({
    rateLimits: { 'whatsapp.connections.create': { max: 2, windowMs: 60_000 } },
  }));

  it('past the limit, create answers 429 before calling Twilio, batched calls included', async () => {
    const org = await signUpOrganization(server);
    const input = {
      accountSid: `AC${'b'.repeat(32)}`,
      authToken: 'c'.repeat(32),
      whatsappNumber: '+15550001111',
    };
    for (let i = 0; i < 2; i++) {
      // No simulator: Twilio is unreachable, which proves the call went through to the procedure.
      expect((await org.owner.mutation('whatsapp.connections.create', input)).error?.code).toBe(
        'SERVICE_UNAVAILABLE',
      );
    }
    const limited = await org.owner.mutation('whatsapp.connections.create', input);
    expect(limited.status).toBe(429);
    expect(limited.error?.message).toMatch(/Too many attempts/);
    const batch = await server.app.inject({
      method: 'POST',
      // Both calls of the batch are mutations: tRPC answers a query sent by POST with 405 on its own.
      url: '/trpc/whatsapp.connections.create,whatsapp.connections.create?batch=1',
      headers: {
        'content-type': 'application/json',
        cookie: org.owner.cookie!,
        origin: TEST_PUBLIC_URL.origin,
      },
      payload: JSON.stringify({ 0: input, 1: input }),
    });
    expect(batch.statusCode).toBe(429);
    expect(batch.json()).toHaveLength(2);
    expect(batch.json()[1]).toMatchObject({ error: { data: { code: 'TOO_MANY_REQUESTS' } } });
  });
});

describe('behind https', () => {
  const publicUrl = new URL('https://whatsapp.example.com');
  const server = useTestServer(() => ({ publicUrl }));

  it('the session cookie is Secure, and only our https origin may send mutations', async () => {
    const c = new TestClient(() => server.app);
    const input = { organizationName: 'Secure Co', email: uniqueEmail(), password: TEST_PASSWORD };
    const fromHttp = await c.mutation('auth.signUp', input, { origin: 'http://whatsapp.example.com' });
    expect(fromHttp.status).toBe(403);
    const res = await c.mutation('auth.signUp', input, { origin: publicUrl.origin });
    expect(res.error).toBeUndefined();
    expect(res.raw.cookies.find((k) => k.name === 'wa_session')?.secure).toBe(true);
  });
});
