/** Form parameters as Twilio signs them: a repeated name keeps every value. */
export type FormParams = Record<string, string | string[]>;

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
export function parseFormBody(raw: string): FormParams {
  const params: FormParams = Object.create(null);
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

/** The single value of a parameter (the first, if Twilio ever repeated it). */
export function param(params: FormParams, name: string): string | undefined {
  const v = params[name];
  return typeof v === 'string' ? v : v?.[0];
}
