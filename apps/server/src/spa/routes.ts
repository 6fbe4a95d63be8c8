import { existsSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Serves the built SPA: hashed assets cached for a year, index.html never cached,
 * and index.html for every other GET or HEAD that is not an API path or a file name
 * (client-side routing).
 * Registered on the root instance: the not-found handler is the whole app's.
 */
export async function registerSpa(app: FastifyInstance, distDir: string) {
  if (!existsSync(`${distDir}/index.html`)) {
    app.log.warn(
      { distDir },
      'the SPA is not built; run `pnpm start` (it builds) or `pnpm --filter @app/web build`',
    );
    return;
  }
  await app.register(fastifyStatic, {
    root: distDir,
    wildcard: false,
    index: false,
    setHeaders(res, filePath) {
      res.header(
        'cache-control',
        /[\\/]assets[\\/]/.test(filePath) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const apiPrefixes = ['/trpc', '/webhooks', '/healthz', '/readyz', '/metrics'];
  app.setNotFoundHandler((req, reply) => {
    const isApi = apiPrefixes.some(
      (p) => req.url === p || req.url.startsWith(`${p}/`) || req.url.startsWith(`${p}?`),
    );
    const isRead = req.method === 'GET' || req.method === 'HEAD';
    if (!isRead || isApi || /\.[a-z0-9]+$/i.test(req.url.split('?')[0] ?? '')) {
      return reply.code(404).send({ error: 'Not Found' });
    }
    reply.header('cache-control', 'no-cache');
    return reply.sendFile('index.html');
  });
}
