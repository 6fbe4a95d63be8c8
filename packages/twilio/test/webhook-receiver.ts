import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  params: Record<string, string>;
}

/**
 * Our side of the conversation in tests: a plain HTTP server that records
 * every webhook the simulator posts and answers with `answer(path)` (200 by default).
 */
export async function startWebhookReceiver() {
  const received: ReceivedWebhook[] = [];
  let answer: (path: string, attempt: number) => number = () => 200;
  const attempts = new Map<string, number>();
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      raw += chunk;
    });
    req.on('end', () => {
      const path = req.url ?? '/';
      const params = Object.fromEntries(new URLSearchParams(raw));
      received.push({ path, url: `${baseUrl}${path}`, headers: req.headers, params });
      const attempt = (attempts.get(path) ?? 0) + 1;
      attempts.set(path, attempt);
      res.statusCode = answer(path, attempt);
      res.setHeader('content-type', 'text/xml');
      res.end('<Response/>');
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    baseUrl,
    received,
    answerWith(fn: (path: string, attempt: number) => number) {
      answer = fn;
    },
    on(path: string) {
      return received.filter((r) => r.path === path);
    },
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}
