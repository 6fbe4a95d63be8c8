import { once } from 'node:events';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { twilioConnectionPlan } from '../src/simulator/core/connection-overrides.ts';
import type { RunningTwilioSimulator } from '../src/simulator/index.ts';
import { computeTwilioSignature, startTwilioSimulator } from '../src/simulator/index.ts';
import { startWebhookReceiver } from './webhook-receiver.ts';

const CUSTOMER = 'whatsapp:+15557770009';
let running: RunningTwilioSimulator;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
let account: { sid: string; authToken: string };
let counter = 0;
let path = '';
let number = '';

beforeAll(async () => {
  running = await startTwilioSimulator({ statusDelayMs: 1, retry: { backoffMs: 5 } });
  receiver = await startWebhookReceiver();
});
afterAll(async () => {
  await running?.close();
  await receiver?.close();
});
beforeEach(() => {
  running.sim.configure({ retryPolicy: 'twilio' });
  receiver.answerWith(() => 200);
  account = running.sim.seedAccount();
  counter += 1;
  path = `/retries/${counter}`;
  number = `+1555000${String(6000 + counter)}`;
});

/** Delivers one inbound message to `url` and returns its delivery. */
async function deliverTo(url: string) {
  running.sim.addIncomingNumber(account.sid, number).smsUrl = url;
  const result = await running.sim.deliverInbound({ to: number, from: CUSTOMER, body: 'hello' });
  const delivery = result.deliveries[0];
  if (!delivery) throw new Error('no delivery');
  return delivery;
}

/** A server that accepts the connection and then does `behave` with it (hang, reset). */
async function startMisbehavingServer(behave: 'hang' | 'reset') {
  let requests = 0;
  const server: Server = createServer((req) => {
    requests += 1;
    if (behave === 'reset') req.socket.destroy();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    requests: () => requests,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe("Twilio's default retry policy (one retry, on a failed connection only)", () => {
  it('a 503 is not retried', async () => {
    receiver.answerWith(() => 503);
    const delivery = await deliverTo(`${receiver.baseUrl}${path}`);
    expect(delivery.attempts.map((a) => a.status)).toEqual([503]);
    expect(delivery.outcome).toBe('failed');
    expect(receiver.on(path)).toHaveLength(1);
  });

  it('nor are 404, 403 and 500', async () => {
    for (const status of [404, 403, 500]) {
      receiver.answerWith(() => status);
      const delivery = await deliverTo(`${receiver.baseUrl}${path}/${status}`);
      expect(delivery.attempts.map((a) => a.status)).toEqual([status]);
      number = `+1555100${String(status)}${counter}`;
    }
  });

  it('a refused connection is retried once', async () => {
    const delivery = await deliverTo('http://127.0.0.1:1/closed');
    expect(delivery.attempts).toHaveLength(2);
    expect(delivery.attempts.every((a) => a.error === 'ECONNREFUSED')).toBe(true);
    expect(delivery.outcome).toBe('failed');
  });

  it('a connection reset before the answer is retried once', async () => {
    const server = await startMisbehavingServer('reset');
    try {
      const delivery = await deliverTo(server.url);
      expect(delivery.attempts).toHaveLength(2);
      expect(server.requests()).toBe(2);
    } finally {
      await server.close();
    }
  });

  it('an answer that does not come within the read timeout is not retried', async () => {
    const server = await startMisbehavingServer('hang');
    try {
      const delivery = await deliverTo(`${server.url}#rt=150`);
      expect(delivery.attempts).toEqual([expect.objectContaining({ error: 'read timeout after 150 ms' })]);
      expect(server.requests()).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('the URL fragment overrides', () => {
  it('are read with their defaults and limits', () => {
    expect(twilioConnectionPlan('https://a.example/in?x=1')).toEqual({
      url: 'https://a.example/in?x=1',
      connectTimeoutMs: 5_000,
      readTimeoutMs: 15_000,
      totalTimeoutMs: 15_000,
      retryCount: 1,
      retryOn: new Set(['ct']),
    });
    expect(twilioConnectionPlan('https://a.example/in#ct=300&rt=400&tt=900&rc=3&rp=4xx,5xx')).toEqual({
      url: 'https://a.example/in',
      connectTimeoutMs: 300,
      readTimeoutMs: 400,
      totalTimeoutMs: 900,
      retryCount: 3,
      retryOn: new Set(['4xx', '5xx']),
    });
    const clamped = twilioConnectionPlan('https://a.example/in#ct=1&rt=99999&tt=5&rc=9&rp=all');
    expect(clamped).toMatchObject({
      connectTimeoutMs: 100,
      readTimeoutMs: 15_000,
      totalTimeoutMs: 100,
      retryCount: 5,
    });
    expect([...clamped.retryOn].sort()).toEqual(['4xx', '5xx', 'ct', 'other', 'rt']);
  });

  it('rc and rp=5xx: a 503 is retried up to rc times', async () => {
    receiver.answerWith((_p, attempt) => (attempt < 3 ? 503 : 200));
    const delivery = await deliverTo(`${receiver.baseUrl}${path}#rc=3&rp=5xx`);
    expect(delivery.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
    expect(delivery.outcome).toBe('delivered');
  });

  it('rp=4xx retries a 404 but not a 503', async () => {
    receiver.answerWith(() => 404);
    const notFound = await deliverTo(`${receiver.baseUrl}${path}/a#rc=2&rp=4xx`);
    expect(notFound.attempts.map((a) => a.status)).toEqual([404, 404, 404]);
    receiver.answerWith(() => 503);
    number = `+1555200${String(6000 + counter)}`;
    const unavailable = await deliverTo(`${receiver.baseUrl}${path}/b#rc=2&rp=4xx`);
    expect(unavailable.attempts.map((a) => a.status)).toEqual([503]);
  });

  it('rp=all retries any failure', async () => {
    receiver.answerWith((_p, attempt) => (attempt === 1 ? 500 : 200));
    const delivery = await deliverTo(`${receiver.baseUrl}${path}#rp=all`);
    expect(delivery.attempts.map((a) => a.status)).toEqual([500, 200]);
  });

  it('rc=0 does not retry even a refused connection', async () => {
    const delivery = await deliverTo('http://127.0.0.1:1/closed#rc=0');
    expect(delivery.attempts).toHaveLength(1);
  });

  it('rt with rp=rt retries a hanging answer; tt caps all attempts together', async () => {
    const server = await startMisbehavingServer('hang');
    try {
      const retried = await deliverTo(`${server.url}#rt=100&rp=rt&rc=2`);
      expect(retried.attempts.map((a) => a.error)).toEqual([
        'read timeout after 100 ms',
        'read timeout after 100 ms',
        'read timeout after 100 ms',
      ]);
      number = `+1555300${String(6000 + counter)}`;
      const started = Date.now();
      const capped = await deliverTo(`${server.url}#rt=200&rp=rt&rc=5&tt=300`);
      expect(capped.attempts.length).toBeLessThan(3);
      expect(Date.now() - started).toBeLessThan(1_000);
    } finally {
      await server.close();
    }
  });

  it('the fragment is never sent, and the signature covers the URL without it', async () => {
    const url = `${receiver.baseUrl}${path}?tenant=7`;
    const delivery = await deliverTo(`${url}#rc=2&rp=ct,5xx&ct=1000`);
    const [hook] = receiver.on(`${path}?tenant=7`);
    expect(hook?.path).toBe(`${path}?tenant=7`);
    const expected = computeTwilioSignature(account.authToken, url, hook?.params ?? {});
    expect(hook?.headers['x-twilio-signature']).toBe(expected);
    expect(delivery.signature).toBe(expected);
  });
});

describe("retryPolicy 'all' (the simulator's old policy)", () => {
  it('is switched on over the control API and retries a 503', async () => {
    const response = await fetch(`${running.url}/_simulator/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retryPolicy: 'all', retry: { attempts: 3 } }),
    });
    expect(response.status).toBe(204);
    receiver.answerWith((_p, attempt) => (attempt < 3 ? 503 : 200));
    const delivery = await deliverTo(`${receiver.baseUrl}${path}`);
    expect(delivery.attempts.map((a) => a.status)).toEqual([503, 503, 200]);
  });

  it('an unknown policy is refused', async () => {
    const response = await fetch(`${running.url}/_simulator/config`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ retryPolicy: 'sometimes' }),
    });
    expect(response.status).toBe(400);
  });
});
