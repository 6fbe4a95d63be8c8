import type { OrgRole } from '@app/contracts';
import { useTestDatabase } from '@app/db/vitest';
import { createTwilioAdapter } from '@app/twilio';
import { type RunningTwilioSimulator, startTwilioSimulator } from '@app/twilio/simulator';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import { addOrganizationMember } from '../src/auth/members.ts';
import { buildServer, type ServerOptions } from '../src/server.ts';
import { CredentialVault } from '../src/vault/credential-vault.ts';

export const TEST_PUBLIC_URL = new URL('http://127.0.0.1:3000');

/** Deterministic keys for tests: `k1` encrypts. */
export const TEST_KEY_1 = `k1:${Buffer.alloc(32, 1).toString('base64')}`;
export const TEST_KEY_2 = `k2:${Buffer.alloc(32, 2).toString('base64')}`;

export interface TestServerOptions {
  /** Start a Twilio simulator for this file and point the adapter at it. */
  simulator?: boolean;
}

/**
 * A server on a fresh migrated database for the calling test file. Read `.app`,
 * `.db` and `.simulator` inside tests or hooks. Without a simulator the adapter
 * points at a closed port, so no test ever reaches the real Twilio.
 */
export function useTestServer(
  overrides: () => Partial<ServerOptions> = () => ({}),
  options: TestServerOptions = {},
) {
  const database = useTestDatabase();
  let app: FastifyInstance | undefined;
  let simulator: RunningTwilioSimulator | undefined;
  const vault = new CredentialVault(TEST_KEY_1);
  beforeAll(async () => {
    if (options.simulator) simulator = await startTwilioSimulator();
    app = await buildServer({
      db: database.db,
      sql: database.db.$client,
      publicUrl: TEST_PUBLIC_URL,
      sessionSecret: 'test-session-secret-0123456789abcdef',
      logLevel: 'silent',
      vault,
      // Test files sign up many organizations from one IP; rate-limit tests set their own.
      rateLimits: {},
      twilio: createTwilioAdapter({ apiBaseUrl: simulator?.url ?? 'http://127.0.0.1:9', timeoutMs: 5_000 }),
      ...overrides(),
    });
    await app.ready();
  });
  afterAll(async () => {
    await app?.close();
    await simulator?.close();
  });
  return {
    get app() {
      if (!app) throw new Error('useTestServer: read .app inside a test or hook');
      return app;
    },
    get db() {
      return database.db;
    },
    get databaseUrl() {
      return database.url;
    },
    get vault() {
      return vault;
    },
    get simulator() {
      if (!simulator)
        throw new Error('useTestServer: pass { simulator: true } and read .simulator inside a test');
      return simulator;
    },
  };
}

/** What a tRPC call answered, as the SPA would see it. */
export interface TrpcAnswer<T = unknown> {
  status: number;
  data: T;
  error?: {
    message: string;
    code: string;
    httpStatus: number;
    fieldErrors?: Record<string, string[]>;
  };
  raw: LightMyRequestResponse;
}

function answerOf<T>(res: LightMyRequestResponse): TrpcAnswer<T> {
  const body = res.json() as {
    result?: { data: T };
    error?: {
      message: string;
      data: { code: string; httpStatus: number; fieldErrors?: Record<string, string[]> };
    };
  };
  return {
    status: res.statusCode,
    data: body.result?.data as T,
    ...(body.error
      ? {
          error: {
            message: body.error.message,
            code: body.error.data.code,
            httpStatus: body.error.data.httpStatus,
            ...(body.error.data.fieldErrors ? { fieldErrors: body.error.data.fieldErrors } : {}),
          },
        }
      : {}),
    raw: res,
  };
}

/** The `wa_session=…` pair a response set, or undefined. */
export function sessionCookieFrom(res: LightMyRequestResponse): string | undefined {
  const cookie = res.cookies.find((c) => c.name === 'wa_session');
  return cookie && cookie.value !== '' ? `wa_session=${cookie.value}` : undefined;
}

/**
 * A browser-like client over `app.inject`: one session cookie, kept from answer to
 * answer, same-origin headers on mutations (`origin`: the server's PUBLIC_URL origin,
 * for a server given another one than TEST_PUBLIC_URL).
 */
export class TestClient {
  cookie: string | undefined;

  constructor(
    private readonly app: () => FastifyInstance,
    cookie?: string,
    private readonly origin = TEST_PUBLIC_URL.origin,
  ) {
    this.cookie = cookie;
  }

  private keep(res: LightMyRequestResponse) {
    const set = res.cookies.find((c) => c.name === 'wa_session');
    if (set) this.cookie = set.value === '' ? undefined : `wa_session=${set.value}`;
  }

  async query<T = unknown>(path: string, input?: unknown): Promise<TrpcAnswer<T>> {
    const search = input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(input))}`;
    const res = await this.app().inject({
      method: 'GET',
      url: `/trpc/${path}${search}`,
      headers: this.cookie ? { cookie: this.cookie } : {},
    });
    this.keep(res);
    return answerOf<T>(res);
  }

  async mutation<T = unknown>(
    path: string,
    input?: unknown,
    headers: Record<string, string> = {},
  ): Promise<TrpcAnswer<T>> {
    const res = await this.app().inject({
      method: 'POST',
      url: `/trpc/${path}`,
      headers: {
        'content-type': 'application/json',
        origin: this.origin,
        ...(this.cookie ? { cookie: this.cookie } : {}),
        ...headers,
      },
      ...(input === undefined ? {} : { payload: JSON.stringify(input) }),
    });
    this.keep(res);
    return answerOf<T>(res);
  }
}

let counter = 0;
/** A unique email for this test run. */
export function uniqueEmail(label = 'person'): string {
  counter += 1;
  return `${label}-${process.pid}-${counter}-${Date.now()}@example.com`;
}

export const TEST_PASSWORD = 'correct horse battery staple';

export interface SignedInOrganization {
  organizationId: string;
  owner: TestClient;
  ownerEmail: string;
  /** Adds a member or admin and returns a client signed in as them. */
  addPerson(role: OrgRole): Promise<TestClient>;
  /** As addPerson, with who they are (for reading the database as them). */
  addPersonWithId(role: OrgRole): Promise<{ client: TestClient; userId: string; email: string }>;
}

/**
 * Signs up a new organization through the API; its owner's client is signed in. Its
 * clients send `origin` on mutations (default TEST_PUBLIC_URL's).
 */
export async function signUpOrganization(
  server: { app: FastifyInstance; db: ServerOptions['db'] },
  name = 'Acme',
  options: { origin?: string } = {},
): Promise<SignedInOrganization> {
  const newClient = () => new TestClient(() => server.app, undefined, options.origin);
  const owner = newClient();
  const ownerEmail = uniqueEmail('owner');
  const res = await owner.mutation<{ organizationId: string }>('auth.signUp', {
    organizationName: name,
    email: ownerEmail,
    password: TEST_PASSWORD,
  });
  if (res.error) throw new Error(`sign-up failed: ${res.error.message}`);
  const organizationId = res.data.organizationId;
  const addPersonWithId = async (role: OrgRole) => {
    const email = uniqueEmail(role);
    const { userId } = await addOrganizationMember(server.db, {
      organizationId,
      email,
      password: TEST_PASSWORD,
      role,
    });
    const client = newClient();
    const signIn = await client.mutation('auth.signIn', { email, password: TEST_PASSWORD });
    if (signIn.error) throw new Error(`sign-in failed: ${signIn.error.message}`);
    return { client, userId, email };
  };
  return {
    organizationId,
    owner,
    ownerEmail,
    addPersonWithId,
    async addPerson(role) {
      return (await addPersonWithId(role)).client;
    },
  };
}
