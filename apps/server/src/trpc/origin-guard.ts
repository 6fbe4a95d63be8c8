import type { FastifyRequest } from 'fastify';

/**
 * Whether the request is a mutation sent from another site. SameSite=Lax already
 * keeps the session cookie off cross-site POSTs; refusing these is the second
 * lock: an `Origin` that is not ours, or a browser saying `Sec-Fetch-Site:
 * cross-site`. Requests without either header (curl, server-to-server) carry no
 * ambient browser credentials and pass.
 */
export function isCrossSiteMutation(req: FastifyRequest, publicUrl: URL): boolean {
  if (req.method !== 'POST') return false;
  const origin = req.headers.origin;
  return (
    (origin !== undefined && origin !== publicUrl.origin) || req.headers['sec-fetch-site'] === 'cross-site'
  );
}
