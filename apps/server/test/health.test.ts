import { describe, expect, it } from 'vitest';
import { useTestServer } from './helpers.ts';

describe('health endpoints', () => {
  const server = useTestServer();

  it('/healthz answers while the process is up', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers ready when the database is reachable', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/readyz' });
    expect(res.statusCode).toBe(200);
  });

  it('responses carry security headers', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/healthz' });
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  });

  it('auth.me is null without a session', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/trpc/auth.me' });
    expect(res.statusCode).toBe(200);
    expect(res.json().result.data).toBeNull();
  });
});
