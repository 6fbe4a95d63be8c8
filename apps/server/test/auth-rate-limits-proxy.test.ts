import { parseEnv } from '@app/config';
import { describe, expect, it } from 'vitest';
import { TEST_PUBLIC_URL, useTestServer } from './helpers.ts';

// The server sits behind one load balancer that appends the address it saw to
// X-Forwarded-For; whatever the client wrote before it is the client's to invent.
const LOAD_BALANCER_SAW = '203.0.113.7';
const { TRUST_PROXY } = parseEnv({ TRUST_PROXY: '1' });

let invented = 0;
const inventedIp = () => {
  invented += 1;
  return `198.51.${Math.floor(invented / 250)}.${invented % 250}`;
};

function signInFrom(app: () => import('fastify').FastifyInstance, forwardedFor: string, email: string) {
  return app().inject({
    method: 'POST',
    url: '/trpc/auth.signIn',
    headers: {
      'content-type': 'application/json',
      origin: TEST_PUBLIC_URL.origin,
      'x-forwarded-for': forwardedFor,
    },
    payload: JSON.stringify({ email, password: 'a guessed password' }),
  });
}

describe('TRUST_PROXY is a hop count or proxy addresses, never "trust everything"', () => {
  it('accepts hops and addresses; refuses true, which would trust what the client wrote', () => {
    expect(parseEnv({}).TRUST_PROXY).toBe(0);
    expect(parseEnv({ TRUST_PROXY: '2' }).TRUST_PROXY).toBe(2);
    expect(parseEnv({ TRUST_PROXY: '10.0.0.0/8, 192.0.2.1' }).TRUST_PROXY).toEqual([
      '10.0.0.0/8',
      '192.0.2.1',
    ]);
    expect(() => parseEnv({ TRUST_PROXY: 'true' })).toThrow(/TRUST_PROXY must be a number of proxy hops/);
  });
});

describe('sign-in limit per IP behind one proxy (TRUST_PROXY=1)', () => {
  const server = useTestServer(() => ({
    trustProxy: TRUST_PROXY,
    rateLimits: { 'auth.signIn': { max: 3, windowMs: 60_000 } },
  }));

  it('a client rotating its own X-Forwarded-For entry still gets 429', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await signInFrom(
        () => server.app,
        `${inventedIp()}, ${LOAD_BALANCER_SAW}`,
        `person-${i}@example.com`,
      );
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
  });

  it('another client behind the same proxy has its own budget', async () => {
    const res = await signInFrom(() => server.app, `${inventedIp()}, 203.0.113.8`, 'someone@example.com');
    expect(res.statusCode).toBe(401);
  });
});

describe('sign-in limit per email, across IPs', () => {
  const server = useTestServer(() => ({
    trustProxy: TRUST_PROXY,
    rateLimits: {
      'auth.signIn': [
        { max: 100, windowMs: 60_000 },
        { max: 3, windowMs: 15 * 60_000, per: 'email' },
      ],
    },
  }));

  it('guesses at one account spread over many IPs get 429 once the email has spent its budget', async () => {
    const target = 'target@example.com';
    const spellings = [target, 'TARGET@example.com', ` ${target} `, 'Target@Example.com', target];
    const statuses: number[] = [];
    for (const email of spellings) {
      statuses.push((await signInFrom(() => server.app, inventedIp(), email)).statusCode);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = await signInFrom(() => server.app, inventedIp(), target);
    expect(limited.json()).toMatchObject({
      error: { message: expect.stringMatching(/Too many attempts/), data: { code: 'TOO_MANY_REQUESTS' } },
    });
    // Other accounts are untouched.
    expect((await signInFrom(() => server.app, inventedIp(), 'other@example.com')).statusCode).toBe(401);
  });

  it('a batched sign-in counts against the email too', async () => {
    const email = 'batched@example.com';
    for (let i = 0; i < 3; i++) {
      expect((await signInFrom(() => server.app, inventedIp(), email)).statusCode).toBe(401);
    }
    const batch = await server.app.inject({
      method: 'POST',
      url: '/trpc/auth.signIn?batch=1',
      headers: {
        'content-type': 'application/json',
        origin: TEST_PUBLIC_URL.origin,
        'x-forwarded-for': inventedIp(),
      },
      payload: JSON.stringify({ 0: { email, password: 'a guessed password' } }),
    });
    expect(batch.statusCode).toBe(429);
  });
});
