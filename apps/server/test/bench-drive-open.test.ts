import { execFile } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The open-loop load generator of `pnpm bench` (bench/drive-open.mjs): its warm-up runs the
// schedule unmeasured first, and only its failures count. Driven against a local server
// that answers slowly during the warm-up (and its first request with a 500) and at once
// after it, the figures must show the measured part alone, and the failure. The server's
// /metrics (whose scrape resets the event-loop histogram) must be scraped once, when the
// measured part begins: after the warm-up, before the first measured request.

const run = promisify(execFile);
const driver = path.resolve(import.meta.dirname, '../bench/drive-open.mjs');

interface Seen {
  sid: string;
  at: number;
  /** Its place among every request the server received (read when it arrives, before its body). */
  order: number;
}

let server: Server;
let url: string;
let metricsUrl: string;
const seen: Seen[] = [];
/** The /metrics scrapes, as they arrived. */
const scrapes: { order: number }[] = [];
let arrivals = 0;
let firstAt: number | undefined;

function body(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => resolve(new URLSearchParams(text)));
  });
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const order = arrivals++;
    if (req.method === 'GET' && req.url === '/metrics') {
      scrapes.push({ order });
      res.end('nodejs_eventloop_lag_p99_seconds 0.001\n');
      return;
    }
    const sid = (await body(req)).get('MessageSid') ?? '';
    const at = Date.now();
    const first = seen.push({ sid, at, order }) === 1;
    firstAt ??= at;
    // The warm-up lasts 0.5 s: what arrives in its first 0.4 s is surely part of it.
    const warmup = at - firstAt < 400;
    setTimeout(
      () => {
        res.statusCode = first ? 500 : 200;
        res.end();
      },
      warmup ? 300 : 0,
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  url = `${origin}/webhooks/twilio/whatsapp/x`;
  metricsUrl = `${origin}/metrics`;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('drive-open.mjs', () => {
  it('measures only after the warm-up, counts the warm-up failures, and sends each part under its own prefix', async () => {
    const settings = {
      url,
      token: 'test-token',
      rate: 100,
      seconds: 1,
      warmupSeconds: 0.5,
      // As `pnpm bench` passes the product's /metrics (bench/run.ts).
      scrapeFirst: [metricsUrl],
    };
    const { stdout } = await run(process.execPath, [driver, JSON.stringify(settings)]);
    const figures = JSON.parse(stdout);

    expect(figures.warmupSent).toBe(50);
    expect(figures.sent).toBe(100);
    expect(seen).toHaveLength(150);
    const warmup = seen.filter((s) => s.sid.startsWith(`SM${figures.warmupPrefix}`));
    const measured = seen.filter((s) => s.sid.startsWith(`SM${figures.prefix}`));
    expect(warmup).toHaveLength(50);
    expect(measured).toHaveLength(100);
    // The 500 was a warm-up answer: it still counts; the warm-up's 300-ms answers do not.
    expect(figures.non2xx).toBe(1);
    expect(figures.ok).toBe(100);
    // Over the measured second alone (from the warm-up's start it would be about 67/s).
    expect(figures.rps).toBeGreaterThan(85);
    expect(figures.max_ms).toBeLessThan(250);

    // The reset: one scrape, after every warm-up request arrived, as the measured part begins.
    expect(scrapes).toHaveLength(1);
    const reset = scrapes[0]!;
    expect(reset.order).toBeGreaterThan(Math.max(...warmup.map((s) => s.order)));
    // ...and before the first measured request (it is written first, on a kept-alive socket).
    expect(reset.order).toBeLessThan(Math.min(...measured.map((s) => s.order)));
  });
});
