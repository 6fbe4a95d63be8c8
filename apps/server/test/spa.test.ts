import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestServer } from './helpers.ts';

const INDEX = '<!doctype html><title>WhatsApp</title><div id="root"></div>';
const ASSET = 'console.log("app");';
let distDir = '';

beforeAll(async () => {
  distDir = await mkdtemp(path.join(os.tmpdir(), 'spa-dist-'));
  await mkdir(path.join(distDir, 'assets'));
  await writeFile(path.join(distDir, 'index.html'), INDEX);
  await writeFile(path.join(distDir, 'assets/app-abc123.js'), ASSET);
});
afterAll(async () => {
  await rm(distDir, { recursive: true, force: true });
});

// webDistDir is read when the server is built (inside beforeAll, after the dist exists).
const server = useTestServer(() => ({ webDistDir: distDir }));

describe('the built SPA', () => {
  it('answers a deep link with index.html, never cached', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/settings/whatsapp' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(INDEX);
  });

  it('answers a deep link with a query string with index.html', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/settings/whatsapp?tab=messages' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe(INDEX);
  });

  it('answers HEAD on a deep link like GET, without a body', async () => {
    const res = await server.app.inject({ method: 'HEAD', url: '/settings/whatsapp' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe('');
  });

  it('serves a hashed asset cached for a year', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/assets/app-abc123.js' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/javascript/);
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(res.body).toBe(ASSET);
  });

  it('answers a missing asset with 404, not index.html', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/assets/nope.js' });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<div id="root">');
  });

  it.each([
    '/trpc/x',
    '/trpc/whatsapp.nothing?input=%7B%7D',
    '/webhooks/twilio/whatsapp/unknown/else',
    '/metrics/x',
  ])('answers the unknown API path %s with JSON 404, not the SPA', async (url) => {
    const res = await server.app.inject({ method: 'GET', url });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).not.toContain('<div id="root">');
  });

  it('does not answer a POST to an unknown path with the SPA', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/settings/whatsapp', payload: {} });
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('<div id="root">');
  });
});
