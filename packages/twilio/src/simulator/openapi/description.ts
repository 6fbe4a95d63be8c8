import { readFileSync } from 'node:fs';

/**
 * Twilio's OpenAPI descriptions (vendored under packages/twilio/oai, MIT, from
 * Twilio) are the contract: the simulator routes by them, shapes its answers
 * from their schemas, and checks every request and answer against them.
 */

/** The part of an OpenAPI 3.0 schema object the simulator reads itself; ajv reads the rest. */
export interface OaiSchema {
  $ref?: string;
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  properties?: Record<string, OaiSchema>;
  additionalProperties?: boolean | OaiSchema;
  items?: OaiSchema;
  required?: string[];
  allOf?: OaiSchema[];
  anyOf?: OaiSchema[];
  oneOf?: OaiSchema[];
}

export interface OaiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: OaiSchema;
}

export interface OaiOperation {
  operationId: string;
  parameters?: OaiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: OaiSchema }> };
  responses: Record<string, { content?: Record<string, { schema: OaiSchema }> }>;
}

export interface OaiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, OaiSchema> };
}

export interface MatchedOperation {
  operationId: string;
  pathParams: Record<string, string>;
}

/** One operation of a description, with the pattern its path template compiles to. */
export interface RoutedOperation {
  operation: OaiOperation;
  method: string;
  pattern: RegExp;
  paramNames: string[];
  /** Index of its document in the list the router was built from. */
  documentIndex: number;
}

const httpMethods = new Set(['get', 'post', 'put', 'delete', 'patch']);

/** Reads the vendored description files. */
export function loadTwilioDescriptions(): OaiDocument[] {
  const read = (file: string) =>
    JSON.parse(readFileSync(new URL(`../../../oai/${file}`, import.meta.url), 'utf8')) as OaiDocument;
  return [
    read('twilio_api_v2010.json'),
    read('twilio_messaging_v2.json'),
    read('twilio_content_v1.json'),
    read('twilio_messaging_v1.json'),
  ];
}

/** `/Accounts/{AccountSid}.json` -> a RegExp with one group per parameter, and their names. */
function compileTemplate(template: string): { pattern: RegExp; paramNames: string[] } {
  const paramNames: string[] = [];
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      paramNames.push(name);
      return '([^/]+)';
    })
    .join('');
  return { pattern: new RegExp(`^${source}$`), paramNames };
}

/** Routes a method and path to the operation of the descriptions that serves it. */
export class OperationRouter {
  readonly #operations: RoutedOperation[] = [];
  readonly #byId = new Map<string, RoutedOperation>();

  constructor(documents: readonly OaiDocument[]) {
    documents.forEach((document, documentIndex) => {
      for (const [template, item] of Object.entries(document.paths)) {
        const { pattern, paramNames } = compileTemplate(template);
        for (const [method, operation] of Object.entries(item)) {
          if (!httpMethods.has(method)) continue;
          const routed: RoutedOperation = {
            operation: operation as OaiOperation,
            method: method.toUpperCase(),
            pattern,
            paramNames,
            documentIndex,
          };
          this.#operations.push(routed);
          // A few operationIds repeat across descriptions (Messaging v1's ListShortCode is also v2010's):
          // the first description keeps the name, so v2010 and Messaging v2 read as before.
          if (!this.#byId.has(routed.operation.operationId)) {
            this.#byId.set(routed.operation.operationId, routed);
          }
        }
      }
    });
    // OpenAPI: a concrete path wins over a templated one that also matches
    // (`…/IncomingPhoneNumbers/Local.json` is not `…/IncomingPhoneNumbers/{Sid}.json`).
    // Fewer parameters first; the sort is stable, so the description's order stays otherwise.
    this.#operations.sort((a, b) => a.paramNames.length - b.paramNames.length);
  }

  match(method: string, path: string): MatchedOperation | undefined {
    for (const candidate of this.#operations) {
      if (candidate.method !== method.toUpperCase()) continue;
      const found = candidate.pattern.exec(path);
      if (!found) continue;
      const pathParams: Record<string, string> = {};
      candidate.paramNames.forEach((name, i) => {
        pathParams[name] = decodeURIComponent(found[i + 1] ?? '');
      });
      return { operationId: candidate.operation.operationId, pathParams };
    }
    return undefined;
  }

  require(operationId: string): RoutedOperation {
    const routed = this.#byId.get(operationId);
    if (!routed) throw new Error(`No operation ${operationId} in Twilio's OpenAPI description`);
    return routed;
  }
}

/** Follows `$ref`s into `components.schemas`; `nullable` beside a `$ref` marks an optional nested object. */
export function resolveSchema(document: OaiDocument, schema: OaiSchema): OaiSchema {
  let current = schema;
  for (let depth = 0; current.$ref !== undefined && depth < 10; depth++) {
    const name = current.$ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (!target) throw new Error(`Unresolvable $ref ${current.$ref}`);
    current = current.nullable ? { ...target, nullable: true } : target;
  }
  return current;
}

/** The schema with its properties' and items' `$ref`s resolved too (to shape answers from it). */
export function resolveSchemaDeep(document: OaiDocument, schema: OaiSchema, depth = 0): OaiSchema {
  const resolved = resolveSchema(document, schema);
  if (depth > 6) return resolved;
  const out: OaiSchema = { ...resolved };
  if (resolved.properties) {
    out.properties = Object.fromEntries(
      Object.entries(resolved.properties).map(([k, v]) => [k, resolveSchemaDeep(document, v, depth + 1)]),
    );
  }
  if (resolved.items) out.items = resolveSchemaDeep(document, resolved.items, depth + 1);
  return out;
}
