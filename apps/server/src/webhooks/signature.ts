import twilio from 'twilio';
import type { FormParams } from './form-body.ts';

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
 * X-Twilio-Signature check by the `twilio` package. It tries the URL with and
 * without the scheme's default port (Twilio may sign either form), and compares in
 * constant time.
 */
export function isValidTwilioSignature(
  authToken: string,
  signature: string,
  url: string,
  params: FormParams,
): boolean {
  return twilio.validateRequest(authToken, signature, url, params);
}
