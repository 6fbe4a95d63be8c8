import type { WebhookPayload } from '@app/db';

// A delivery's payload: its form parameters as Twilio signs them (a repeated name
// keeps every value), parsed here and stored as they are.
export type { WebhookPayload };

export class MalformedFormBodyError extends Error {
  constructor() {
    super('The form body is not valid application/x-www-form-urlencoded (bad percent-encoding).');
    this.name = 'MalformedFormBodyError';
  }
}

function decodeComponent(raw: string): string {
  const spaced = raw.includes('+') ? raw.replaceAll('+', ' ') : raw;
  if (!spaced.includes('%')) return spaced;
  let decoded: string;
  try {
    // decodeURIComponent throws on a bad escape (%zz, a lone %) and on invalid UTF-8,
    // where URLSearchParams would silently keep or replace the bytes: what we would
    // store would then differ from what Twilio signed.
    decoded = decodeURIComponent(spaced);
  } catch {
    throw new MalformedFormBodyError();
  }
  // PostgreSQL text and jsonb cannot hold NUL; Twilio never sends one.
  if (decoded.includes('\0')) throw new MalformedFormBodyError();
  return decoded;
}

/** Parses a raw form body; throws MalformedFormBodyError on a bad escape or bad UTF-8. */
export function parseFormBody(raw: string): WebhookPayload {
  const params: WebhookPayload = Object.create(null);
  if (raw.length === 0) return params;
  if (raw.includes('\0')) throw new MalformedFormBodyError();
  for (const pair of raw.split('&')) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const name = decodeComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(pair.slice(eq + 1));
    const existing = params[name];
    if (existing === undefined) params[name] = value;
    else if (typeof existing === 'string') params[name] = [existing, value];
    else existing.push(value);
  }
  return params;
}

/** The single value of a parameter (the first, if Twilio repeated it); null when absent or empty. */
export function field(payload: WebhookPayload, name: string): string | null {
  const v = payload[name];
  const s = typeof v === 'string' ? v : v?.[0];
  return s === undefined || s === '' ? null : s;
}

/** A parameter as a finite number, else null. */
export function numberField(payload: WebhookPayload, name: string): number | null {
  const s = field(payload, name);
  if (s === null) return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
}
