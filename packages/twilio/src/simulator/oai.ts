import { readFileSync } from 'node:fs';

/**
 * Twilio's OpenAPI descriptions (vendored under packages/twilio/oai, MIT, from
 * Twilio) are the contract: the simulator routes by them, shapes its answers
 * from their schemas, and checks every request it receives against them.
 */

// A deliberately small subset of OpenAPI 3.0 schema objects: what Twilio's two files use.
export interface OaiSchema {
  $ref?: string;
  type?: 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array';
  format?: string;
  nullable?: boolean;
  enum?: unknown[];
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, OaiSchema>;
  items?: OaiSchema;
  required?: string[];
}

interface OaiParameter {
  name: string;
  in: 'path' | 'query' | 'header';
  required?: boolean;
  schema?: OaiSchema;
}

interface OaiOperation {
  operationId: string;
  parameters?: OaiParameter[];
  requestBody?: { required?: boolean; content: Record<string, { schema: OaiSchema }> };
  responses: Record<string, { content?: Record<string, { schema: OaiSchema }> }>;
}

interface OaiDocument {
  paths: Record<string, Record<string, unknown>>;
  components: { schemas: Record<string, OaiSchema> };
}

export interface MatchedOperation {
  operationId: string;
  pathParams: Record<string, string>;
}

export interface OaiRequest {
  method: string;
  path: string;
  query: Record<string, string | string[]>;
  contentType: string | undefined;
  /** Parsed form (`name -> value | values`) or JSON; undefined without a body. */
  body: unknown;
}

interface CompiledOperation {
  operation: OaiOperation;
  method: string;
  template: string;
  pattern: RegExp;
  paramNames: string[];
  document: OaiDocument;
}

const httpMethods = new Set(['get', 'post', 'put', 'delete', 'patch']);

export class TwilioOpenApi {
  readonly #operations: CompiledOperation[] = [];
  readonly #byId = new Map<string, CompiledOperation>();

  constructor(documents: OaiDocument[]) {
    for (const document of documents) {
      for (const [template, item] of Object.entries(document.paths)) {
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
        for (const [method, operation] of Object.entries(item)) {
          if (!httpMethods.has(method)) continue;
          const compiled: CompiledOperation = {
            operation: operation as OaiOperation,
            method: method.toUpperCase(),
            template,
            pattern: new RegExp(`^${source}$`),
            paramNames,
            document,
          };
          this.#operations.push(compiled);
          this.#byId.set(compiled.operation.operationId, compiled);
        }
      }
    }
    // OpenAPI: a concrete path wins over a templated one that also matches
    // (`…/IncomingPhoneNumbers/Local.json` is not `…/IncomingPhoneNumbers/{Sid}.json`).
    // Fewer parameters first; the sort is stable, so the description's order stays otherwise.
    this.#operations.sort((a, b) => a.paramNames.length - b.paramNames.length);
  }

  /** Reads the vendored description files. */
  static load(): TwilioOpenApi {
    const read = (file: string) =>
      JSON.parse(readFileSync(new URL(`../../oai/${file}`, import.meta.url), 'utf8')) as OaiDocument;
    return new TwilioOpenApi([read('twilio_api_v2010.json'), read('twilio_messaging_v2.json')]);
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

  /** The schema of a response property (to shape nested objects from it). */
  responseSchema(operationId: string, status: number): OaiSchema | undefined {
    const compiled = this.#require(operationId);
    const schema = this.#responseSchema(compiled, status);
    return schema ? this.#resolveDeep(compiled.document, schema, 0) : undefined;
  }

  /** Every way a request departs from the description; empty when it conforms. */
  validateRequest(request: OaiRequest): string[] {
    const matched = this.match(request.method, request.path);
    if (!matched)
      return [`${request.method} ${request.path} is not an operation in Twilio's OpenAPI description`];
    const compiled = this.#require(matched.operationId);
    const { operation, document } = compiled;
    const problems: string[] = [];
    const parameters = operation.parameters ?? [];

    for (const p of parameters.filter((p) => p.in === 'path')) {
      const value = matched.pathParams[p.name];
      if (value === undefined) problems.push(`path parameter ${p.name} is missing`);
      else if (p.schema) this.#checkScalar(document, p.schema, value, `path parameter ${p.name}`, problems);
    }
    const queryParams = parameters.filter((p) => p.in === 'query');
    for (const [name, value] of Object.entries(request.query)) {
      const p = queryParams.find((q) => q.name === name);
      if (!p) {
        problems.push(`query parameter ${name} is not defined for ${operation.operationId}`);
        continue;
      }
      if (Array.isArray(value)) problems.push(`query parameter ${name} is repeated`);
      else if (p.schema) this.#checkScalar(document, p.schema, value, `query parameter ${name}`, problems);
    }
    for (const p of queryParams) {
      if (p.required && request.query[p.name] === undefined)
        problems.push(`query parameter ${p.name} is required`);
    }

    const bodyDefinition = operation.requestBody;
    if (request.body === undefined) {
      if (bodyDefinition?.required) problems.push(`${operation.operationId} requires a request body`);
      return problems;
    }
    if (!bodyDefinition) {
      problems.push(`${operation.operationId} takes no request body`);
      return problems;
    }
    const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
    const content = bodyDefinition.content[mediaType];
    if (!content) {
      problems.push(
        `content type ${mediaType || '(none)'} is not accepted; expected ${Object.keys(bodyDefinition.content).join(' or ')}`,
      );
      return problems;
    }
    if (mediaType === 'application/x-www-form-urlencoded') {
      this.#checkForm(document, content.schema, request.body as Record<string, string | string[]>, problems);
    } else {
      this.#checkJson(document, content.schema, request.body, 'body', problems);
    }
    return problems;
  }

  /** Checks a JSON answer against the response schema: no undescribed fields, enums and types hold. */
  validateResponse(operationId: string, status: number, body: unknown): string[] {
    const compiled = this.#require(operationId);
    if (!(String(status) in compiled.operation.responses)) {
      return [`${operationId} does not describe a ${status} response`];
    }
    const schema = this.#responseSchema(compiled, status);
    if (!schema) return [];
    const problems: string[] = [];
    this.#checkJson(compiled.document, schema, body, 'response', problems);
    const listed = Object.keys(this.#resolve(compiled.document, schema).properties ?? {});
    if (typeof body === 'object' && body !== null) {
      for (const name of listed) if (!(name in body)) problems.push(`response.${name} is missing`);
    }
    return problems;
  }

  #require(operationId: string): CompiledOperation {
    const compiled = this.#byId.get(operationId);
    if (!compiled) throw new Error(`No operation ${operationId} in Twilio's OpenAPI description`);
    return compiled;
  }

  #responseSchema(compiled: CompiledOperation, status: number): OaiSchema | undefined {
    return compiled.operation.responses[String(status)]?.content?.['application/json']?.schema;
  }

  #resolve(document: OaiDocument, schema: OaiSchema): OaiSchema {
    let current = schema;
    for (let depth = 0; current.$ref !== undefined && depth < 10; depth++) {
      const name = current.$ref.replace('#/components/schemas/', '');
      const target = document.components.schemas[name];
      if (!target) throw new Error(`Unresolvable $ref ${current.$ref}`);
      // `nullable` beside a `$ref` is how Twilio marks an optional nested object.
      current = current.nullable ? { ...target, nullable: true } : target;
    }
    return current;
  }

  #resolveDeep(document: OaiDocument, schema: OaiSchema, depth: number): OaiSchema {
    const resolved = this.#resolve(document, schema);
    if (depth > 6) return resolved;
    const out: OaiSchema = { ...resolved };
    if (resolved.properties) {
      out.properties = Object.fromEntries(
        Object.entries(resolved.properties).map(([k, v]) => [k, this.#resolveDeep(document, v, depth + 1)]),
      );
    }
    if (resolved.items) out.items = this.#resolveDeep(document, resolved.items, depth + 1);
    return out;
  }

  #checkForm(
    document: OaiDocument,
    schema: OaiSchema,
    form: Record<string, string | string[]>,
    problems: string[],
  ) {
    const resolved = this.#resolve(document, schema);
    const properties = resolved.properties ?? {};
    for (const [name, value] of Object.entries(form)) {
      const property = properties[name];
      if (!property) {
        problems.push(`form parameter ${name} is not defined`);
        continue;
      }
      const propertySchema = this.#resolve(document, property);
      if (propertySchema.type === 'array') {
        const items = propertySchema.items ? this.#resolve(document, propertySchema.items) : {};
        for (const v of Array.isArray(value) ? value : [value]) {
          this.#checkScalar(document, items, v, `form parameter ${name}`, problems);
        }
      } else if (Array.isArray(value)) {
        problems.push(`form parameter ${name} is repeated but is not an array`);
      } else {
        this.#checkScalar(document, propertySchema, value, `form parameter ${name}`, problems);
      }
    }
    for (const name of resolved.required ?? []) {
      if (form[name] === undefined) problems.push(`form parameter ${name} is required`);
    }
  }

  /** A value that arrived as text (path, query or form). */
  #checkScalar(document: OaiDocument, schema: OaiSchema, value: string, where: string, problems: string[]) {
    const s = this.#resolve(document, schema);
    switch (s.type) {
      case 'integer':
        if (!/^-?\d+$/.test(value)) return void problems.push(`${where} must be an integer, got ${value}`);
        this.#checkRange(s, Number(value), where, problems);
        break;
      case 'number':
        if (Number.isNaN(Number(value))) return void problems.push(`${where} must be a number, got ${value}`);
        this.#checkRange(s, Number(value), where, problems);
        break;
      case 'boolean':
        if (value !== 'true' && value !== 'false')
          problems.push(`${where} must be true or false, got ${value}`);
        break;
      default:
        this.#checkString(s, value, where, problems);
    }
    if (s.enum && !s.enum.includes(value) && !(s.type === 'integer' && s.enum.includes(Number(value)))) {
      problems.push(`${where} must be one of ${s.enum.join(', ')}, got ${value}`);
    }
  }

  #checkString(s: OaiSchema, value: string, where: string, problems: string[]) {
    if (s.minLength !== undefined && value.length < s.minLength)
      problems.push(`${where} is shorter than ${s.minLength}`);
    if (s.maxLength !== undefined && value.length > s.maxLength)
      problems.push(`${where} is longer than ${s.maxLength}`);
    if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) {
      problems.push(`${where} does not match ${s.pattern}`);
    }
    if (s.format === 'uri' && !URL.canParse(value)) problems.push(`${where} must be a URI, got ${value}`);
    if (
      s.format === 'phone-number' &&
      !/^(\+[1-9]\d{1,14}|[a-z]+:.+|[A-Za-z0-9 ]{1,11}|\d{3,8})$/.test(value)
    ) {
      problems.push(`${where} must be a phone number or channel address, got ${value}`);
    }
  }

  #checkRange(s: OaiSchema, n: number, where: string, problems: string[]) {
    if (s.minimum !== undefined && n < s.minimum) problems.push(`${where} is below ${s.minimum}`);
    if (s.maximum !== undefined && n > s.maximum) problems.push(`${where} is above ${s.maximum}`);
  }

  #checkJson(document: OaiDocument, schema: OaiSchema, value: unknown, where: string, problems: string[]) {
    const s = this.#resolve(document, schema);
    if (value === null) {
      if (!s.nullable && s.type !== undefined) problems.push(`${where} must not be null`);
      return;
    }
    switch (s.type) {
      case 'object': {
        if (typeof value !== 'object' || Array.isArray(value))
          return void problems.push(`${where} must be an object`);
        if (!s.properties) return; // a free-form map, e.g. subresource_uris
        const record = value as Record<string, unknown>;
        for (const [name, v] of Object.entries(record)) {
          const property = s.properties[name];
          if (!property) problems.push(`${where}.${name} is not defined`);
          else this.#checkJson(document, property, v, `${where}.${name}`, problems);
        }
        for (const name of s.required ?? []) {
          if (record[name] === undefined) problems.push(`${where}.${name} is required`);
        }
        return;
      }
      case 'array':
        if (!Array.isArray(value)) return void problems.push(`${where} must be an array`);
        if (s.items) {
          const items = s.items;
          value.forEach((v, i) => {
            this.#checkJson(document, items, v, `${where}[${i}]`, problems);
          });
        }
        return;
      case 'integer':
        if (!Number.isInteger(value)) problems.push(`${where} must be an integer`);
        break;
      case 'number':
        if (typeof value !== 'number') problems.push(`${where} must be a number`);
        break;
      case 'boolean':
        if (typeof value !== 'boolean') problems.push(`${where} must be a boolean`);
        break;
      case 'string':
        if (typeof value !== 'string') problems.push(`${where} must be a string`);
        else
          this.#checkString(
            { ...s, format: s.format === 'phone-number' ? s.format : undefined },
            value,
            where,
            problems,
          );
        break;
      default:
        break;
    }
    if (s.enum && !s.enum.includes(value)) problems.push(`${where} must be one of ${s.enum.join(', ')}`);
  }
}
