import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CredentialVault } from '../src/vault/credential-vault.ts';
import {
  inboundParams,
  inboundPath,
  newMessageSid,
  seedConnection,
  twilioRequest,
  useWebhookServer,
} from './webhook-helpers.ts';

// The webhook routes make a request's logger only when the request logs something at a
// level it writes: a delivery that logs nothing costs no pino child (whose bindings pino
// redacts as it makes it). A delivery that does log writes the same line as before,
// its request id included.

const lines: Record<string, unknown>[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
    done();
  },
});

// At info, Fastify's own request lines would be written for every other route.
const server = useWebhookServer(() => ({ logLevel: 'info', logStream }));

afterEach(() => {
  vi.restoreAllMocks();
});

describe("the webhook routes' request logger", () => {
  it('is not made for deliveries that log nothing; other routes still get theirs', async () => {
    const c = await seedConnection(server.sql, server.vault);
    const child = vi.spyOn(server.app.log, 'child');
    for (let i = 0; i < 5; i++) {
      const res = await server.app.inject(
        twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken),
      );
      expect(res.statusCode).toBe(200);
    }
    expect(child).not.toHaveBeenCalled();

    // The spy does see the children Fastify makes elsewhere (it would pass vacuously if not).
    await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(child).toHaveBeenCalled();
  });

  it('is made when a delivery logs, and its line carries the request id', async () => {
    // A token sealed with a key this server does not hold: the intake answers 500 and logs why.
    const stranger = new CredentialVault(`other:${Buffer.alloc(32, 3).toString('base64')}`);
    const c = await seedConnection(server.sql, stranger);
    const res = await server.app.inject(
      twilioRequest(inboundPath(c.id), inboundParams(newMessageSid()), c.authToken),
    );
    expect(res.statusCode).toBe(500);
    const line = lines.find((l) => l.msg === 'webhook intake: token not decryptable');
    expect(line).toMatchObject({ level: 50, connectionId: c.id });
    expect(typeof line?.reqId).toBe('string');
    expect(line?.reqId).not.toBe('');
    // Nothing of the token: the reason names the key, never the secret.
    expect(JSON.stringify(line)).not.toContain(c.authToken);
  });
});
