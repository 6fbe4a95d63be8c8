import { createHmac } from 'node:crypto';

/**
 * X-Twilio-Signature as Twilio computes it for form-encoded webhooks: the full
 * URL, then each parameter name (sorted) immediately followed by its value(s),
 * HMAC-SHA1 keyed with the account's auth token, base64. Repeated parameters
 * contribute each of their values, sorted.
 */
export function computeTwilioSignature(
  authToken: string,
  url: string,
  params: Record<string, string | readonly string[]>,
): string {
  let data = url;
  for (const name of Object.keys(params).sort()) {
    const value = params[name];
    const values = typeof value === 'string' ? [value] : [...new Set(value)].sort();
    for (const v of values) data += name + v;
  }
  return createHmac('sha1', authToken).update(Buffer.from(data, 'utf-8')).digest('base64');
}
