import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { useWebhookServer } from './webhook-helpers.ts';

// Whatever a handler logs, credentials never reach a log line: at the top of the logged
// object as well as one level down.

const lines: string[] = [];
const logStream = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

const server = useWebhookServer(() => ({ logLevel: 'info', logStream }));

describe('log redaction', () => {
  it('replaces a token, password or key at the top of a logged object and one level down', () => {
    server.app.log.warn(
      {
        authToken: 'top-level-token-1',
        password: 'top-level-password-2',
        sessionSecret: 'top-level-secret-3',
        input: { authToken: 'nested-token-4' },
        connection: { twilioAuthTokenHash: 'nested-envelope-5' },
      },
      'a handler logged too much',
    );
    const line = lines.find((l) => l.includes('a handler logged too much'));
    expect(line).toBeDefined();
    for (const secret of ['token-1', 'password-2', 'secret-3', 'token-4', 'envelope-5']) {
      expect(line).not.toContain(secret);
    }
    expect(JSON.parse(line!)).toMatchObject({ authToken: '[redacted]', input: { authToken: '[redacted]' } });
  });
});
