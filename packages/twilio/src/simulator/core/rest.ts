import type { SimAccount } from './accounts.ts';

/** A parsed form or query: repeated names become arrays. */
export type Form = Record<string, string | string[]>;

/** A Twilio answer: status and JSON body. */
export interface Answer {
  status: number;
  body: unknown;
}

/** One authenticated REST call, routed to its operation by Twilio's description. */
export interface OperationContext {
  account: SimAccount;
  /** The request's path, for the 404 body. */
  path: string;
  pathParams: Record<string, string>;
  query: Form;
  body: unknown;
  /** How the request departs from the OpenAPI description. */
  problems: string[];
}

export type OperationHandler = (ctx: OperationContext) => Answer | Promise<Answer>;

/** A Twilio product the simulator plays: its REST operations by operationId, and its state. */
export interface SimulatedProduct {
  readonly operations: Readonly<Record<string, OperationHandler>>;
  /** Forgets the product's state. */
  reset(): void;
}

/** Twilio's error body (v2010, and the legacy shape Messaging v2 answers with). */
export function twilioError(status: number, code: number, message: string): Answer {
  return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
}

export const notFound = (path: string) =>
  twilioError(404, 20404, `The requested resource ${path} was not found`);

export const ok = (status: number, body: unknown): Answer => ({ status, body });

/** 400 (20001) when the request broke the description; the simulator is stricter than Twilio on purpose. */
export function rejectIfInvalid(ctx: OperationContext): Answer | undefined {
  if (ctx.problems.length === 0) return undefined;
  return twilioError(400, 20001, `Invalid parameter: ${ctx.problems.join('; ')}`);
}

export function parseForm(raw: string): Form {
  const form: Form = {};
  for (const [name, value] of new URLSearchParams(raw)) {
    const existing = form[name];
    form[name] = existing === undefined ? value : ([] as string[]).concat(existing, value);
  }
  return form;
}

/** The first value of a form or query parameter. */
export const single = (value: Form[string] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** Every value of a repeated form parameter. */
export const all = (value: Form[string] | undefined): string[] =>
  value === undefined ? [] : ([] as string[]).concat(value);
