import type { FastifyReply, FastifyRequest } from 'fastify';
import { trpcErrorBody } from './http-error.ts';

/**
 * Refuses mutations sent from another site. SameSite=Lax already keeps the session
 * cookie off cross-site POSTs; this is the second lock: an `Origin` that is not
 * ours, or a browser saying `Sec-Fetch-Site: cross-site`, is refused before any
 * procedure runs. Requests without either header (curl, server-to-server) carry no
 * ambient browser credentials and pass.
 */
export function originGuard(publicUrl: URL) {
  const ours = publicUrl.origin;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.method !== 'POST') return;
    const origin = req.headers.origin;
    const fetchSite = req.headers['sec-fetch-site'];
    if ((origin !== undefined && origin !== ours) || fetchSite === 'cross-site') {
      req.log.warn({ origin, fetchSite }, 'refused a cross-origin mutation');
      return reply
        .code(403)
        .send(trpcErrorBody(req, 'FORBIDDEN', 403, 'This request came from another site and was refused.'));
    }
  };
}
