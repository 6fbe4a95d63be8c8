import net from 'node:net';
import { expect, it } from 'vitest';
import { useTestServer } from './helpers.ts';

// Issue 11: a body sent one byte every 5 s was held 69 s against a 30 s request
// timeout. Each byte resets the idle (connection) timeout, and Node only checked the
// request timeout every 30 s. Here with a 2 s timeout and one byte a second.

const REQUEST_TIMEOUT_MS = 2_000;
const server = useTestServer(() => ({ requestTimeoutMs: REQUEST_TIMEOUT_MS }));

it('a body that trickles in is cut soon after the request timeout (408 or closed)', async () => {
  await server.app.listen({ port: 0, host: '127.0.0.1' });
  const address = server.app.server.address();
  if (!address || typeof address === 'string') throw new Error('not listening');

  const socket = net.connect(address.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = Date.now();
  let answer = '';
  socket.on('data', (chunk: Buffer) => {
    answer += chunk.toString('utf8');
  });
  const closed = new Promise<number>((resolve) => {
    socket.once('close', () => resolve(Date.now() - started));
    socket.on('error', () => {});
  });
  const body = JSON.stringify({ email: 'slow@example.test', password: 'x'.repeat(40) });
  socket.write(
    `POST /trpc/auth.signIn HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`,
  );
  // One byte a second: the whole body would take over a minute.
  let sent = 0;
  const trickle = setInterval(() => {
    if (sent < body.length && !socket.destroyed) socket.write(body[sent++]!);
  }, 1_000);
  try {
    const heldMs = await Promise.race([
      closed,
      new Promise<number>((resolve) => setTimeout(() => resolve(Number.POSITIVE_INFINITY), 20_000)),
    ]);
    // Not cut early, and cut well before the body ends; loose bounds for a loaded machine.
    expect(heldMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
    expect(heldMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    expect(sent).toBeLessThan(body.length);
    if (answer) expect(answer).toMatch(/^HTTP\/1\.1 408 /);
  } finally {
    clearInterval(trickle);
    socket.destroy();
  }
}, 30_000);
