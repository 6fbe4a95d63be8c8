import http from 'node:http';
import https from 'node:https';
import type { FailureClass } from './connection-overrides.ts';

export type PostResult = { status: number } | { error: string; failure: Extract<FailureClass, 'ct' | 'rt'> };

/**
 * One POST on a fresh connection, telling apart the ways it can fail: no
 * connection (refused, reset, not connected within `connectTimeoutMs`) and no
 * answer within `readTimeoutMs` (between packets too). `fetch` hides that difference.
 */
export function postOnce(
  url: string,
  headers: Record<string, string>,
  body: string,
  timeouts: { connectTimeoutMs: number; readTimeoutMs: number },
): Promise<PostResult> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const client = target.protocol === 'https:' ? https : http;
    let answered = false;
    let timer: NodeJS.Timeout | undefined;
    const finish = (result: PostResult) => {
      clearTimeout(timer);
      resolve(result);
    };
    const request = client.request(target, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
    });
    const startTimer = (ms: number, failure: 'ct' | 'rt', message: string) => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        request.destroy();
        finish({ error: message, failure });
      }, ms);
    };
    startTimer(timeouts.connectTimeoutMs, 'ct', `connect timeout after ${timeouts.connectTimeoutMs} ms`);
    request.once('socket', (socket) => {
      socket.once('connect', () => {
        startTimer(timeouts.readTimeoutMs, 'rt', `read timeout after ${timeouts.readTimeoutMs} ms`);
      });
    });
    request.on('response', (response) => {
      answered = true;
      const readTimeout = () =>
        startTimer(timeouts.readTimeoutMs, 'rt', `read timeout after ${timeouts.readTimeoutMs} ms`);
      readTimeout();
      response.on('data', readTimeout);
      response.once('end', () => finish({ status: response.statusCode ?? 0 }));
      response.once('error', () => finish({ status: response.statusCode ?? 0 }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => {
      // Refused, reset, unreachable: the connection itself failed (Twilio's `ct`).
      if (!answered) finish({ error: error.code ?? error.message, failure: 'ct' });
    });
    request.end(body);
  });
}
