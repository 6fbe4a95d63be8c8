import { timingSafeEqual } from 'node:crypto';
import twilio from 'twilio';
import type { WebhookPayload } from './payload.ts';

/**
 * The URL Twilio was given for this request: PUBLIC_URL's origin and path prefix,
 * then the path and query exactly as received (Twilio signs the full URL, query
 * string included, and never sees our internal host or port).
 */
export function signedWebhookUrl(publicUrl: URL, rawRequestUrl: string): string {
  const prefix = publicUrl.pathname.endsWith('/') ? publicUrl.pathname.slice(0, -1) : publicUrl.pathname;
  return `${publicUrl.protocol}//${publicUrl.host}${prefix}${rawRequestUrl}`;
}

/**
 * X-Twilio-Signature check by the `twilio` package. The URL exactly as configured
 * is tried first (one HMAC: what Twilio signs in the common case); otherwise
 * `validateRequest` tries its variants (with and without the scheme's default port,
 * normalised encodings). Both compare in constant time.
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string,
  url: string,
  params: WebhookPayload,
): boolean {
  const expected = Buffer.from(twilio.getExpectedTwilioSignature(authToken, url, params));
  const given = Buffer.from(signature);
  if (expected.length === given.length && timingSafeEqual(expected, given)) return true;
  return twilio.validateRequest(authToken, signature, url, params);
}
