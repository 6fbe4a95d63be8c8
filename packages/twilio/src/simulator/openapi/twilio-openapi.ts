import type { Form } from '../core/rest.ts';
import type {
  MatchedOperation,
  OaiDocument,
  OaiParameter,
  OaiSchema,
  RoutedOperation,
} from './description.ts';
import { loadTwilioDescriptions, OperationRouter, resolveSchema, resolveSchemaDeep } from './description.ts';
import { describeSchemaError, SchemaChecker } from './schema-checks.ts';

export type { MatchedOperation, OaiSchema } from './description.ts';

export interface OaiRequest {
  method: string;
  path: string;
  query: Form;
  contentType: string | undefined;
  /** Parsed form (`name -> value | values`) or JSON; undefined without a body. */
  body: unknown;
}

/** One object, so ajv compiles it once (checkers cache by schema object). */
const anyValue: OaiSchema = {};

/**
 * Routes by Twilio's descriptions and checks requests and answers against
 * them. Where each parameter lives (path, query, form) is read here; the
 * values are checked by ajv against the description's schemas.
 */
export class TwilioOpenApi {
  readonly #documents: readonly OaiDocument[];
  readonly #router: OperationRouter;
  readonly #text: SchemaChecker;
  readonly #json: SchemaChecker;
  readonly #answers: SchemaChecker;
  /** One `$ref` object per component checked, so ajv compiles each once. */
  readonly #componentRefs = new Map<string, OaiSchema>();

  constructor(documents: OaiDocument[]) {
    this.#documents = documents;
    this.#router = new OperationRouter(documents);
    this.#text = new SchemaChecker(documents, 'text');
    this.#json = new SchemaChecker(documents, 'json');
    this.#answers = new SchemaChecker(documents, 'answer');
  }

  /** Reads the vendored description files. */
  static load(): TwilioOpenApi {
    return new TwilioOpenApi(loadTwilioDescriptions());
  }

  match(method: string, path: string): MatchedOperation | undefined {
    return this.#router.match(method, path);
  }

  /** The schema of an answer, `$ref`s resolved (to shape nested objects from it). */
  responseSchema(operationId: string, status: number): OaiSchema | undefined {
    const routed = this.#router.require(operationId);
    const schema = responseSchemaOf(routed, status);
    return schema ? resolveSchemaDeep(this.#documentOf(routed), schema) : undefined;
  }

  /**
   * How a JSON value departs from a named schema of the descriptions'
   * components (e.g. the Content API's `types`); empty when it conforms.
   */
  checkComponent(schemaName: string, value: unknown): string[] {
    const index = this.#documents.findIndex((d) => d.components.schemas[schemaName] !== undefined);
    if (index === -1) throw new Error(`No schema ${schemaName} in Twilio's OpenAPI descriptions`);
    let reference = this.#componentRefs.get(schemaName);
    if (!reference) {
      reference = { $ref: `#/components/schemas/${schemaName}` };
      this.#componentRefs.set(schemaName, reference);
    }
    return this.#json
      .errors(index, reference, value)
      .map((e) => describeSchemaError(e, `${schemaName}${jsonPath(e.instancePath)}`));
  }

  /** Every way a request departs from the description; empty when it conforms. */
  validateRequest(request: OaiRequest): string[] {
    const matched = this.match(request.method, request.path);
    if (!matched)
      return [`${request.method} ${request.path} is not an operation in Twilio's OpenAPI description`];
    const routed = this.#router.require(matched.operationId);
    const parameters = routed.operation.parameters ?? [];
    return [
      ...this.#checkPathParameters(routed, parameters, matched.pathParams),
      ...this.#checkQuery(routed, parameters, request.query),
      ...this.#checkBody(routed, request),
    ];
  }

  /** Checks a JSON answer against the response schema: no undescribed fields, enums and types hold. */
  validateResponse(operationId: string, status: number, body: unknown): string[] {
    const routed = this.#router.require(operationId);
    if (!(String(status) in routed.operation.responses)) {
      return [`${operationId} does not describe a ${status} response`];
    }
    const schema = responseSchemaOf(routed, status);
    if (!schema) return [];
    const problems = this.#checkJson(this.#answers, routed, schema, body, 'response');
    const listed = Object.keys(resolveSchema(this.#documentOf(routed), schema).properties ?? {});
    if (typeof body === 'object' && body !== null) {
      for (const name of listed) if (!(name in body)) problems.push(`response.${name} is missing`);
    }
    return problems;
  }

  #documentOf(routed: RoutedOperation): OaiDocument {
    return this.#documents[routed.documentIndex] as OaiDocument;
  }

  #checkPathParameters(routed: RoutedOperation, parameters: OaiParameter[], values: Record<string, string>) {
    const problems: string[] = [];
    for (const p of parameters.filter((p) => p.in === 'path')) {
      const value = values[p.name];
      if (value === undefined) problems.push(`path parameter ${p.name} is missing`);
      else if (p.schema)
        problems.push(...this.#checkText(routed, p.schema, value, `path parameter ${p.name}`));
    }
    return problems;
  }

  #checkQuery(routed: RoutedOperation, parameters: OaiParameter[], query: Form) {
    const problems: string[] = [];
    const queryParams = parameters.filter((p) => p.in === 'query');
    for (const [name, value] of Object.entries(query)) {
      const p = queryParams.find((q) => q.name === name);
      if (!p) problems.push(`query parameter ${name} is not defined for ${routed.operation.operationId}`);
      else if (Array.isArray(value)) problems.push(`query parameter ${name} is repeated`);
      else if (p.schema)
        problems.push(...this.#checkText(routed, p.schema, value, `query parameter ${name}`));
    }
    for (const p of queryParams) {
      if (p.required && query[p.name] === undefined) problems.push(`query parameter ${p.name} is required`);
    }
    return problems;
  }

  #checkBody(routed: RoutedOperation, request: OaiRequest): string[] {
    const { operation } = routed;
    const definition = operation.requestBody;
    if (request.body === undefined) {
      return definition?.required ? [`${operation.operationId} requires a request body`] : [];
    }
    if (!definition) return [`${operation.operationId} takes no request body`];
    const mediaType = request.contentType?.split(';')[0]?.trim().toLowerCase() ?? '';
    const content = definition.content[mediaType];
    if (!content) {
      const expected = Object.keys(definition.content).join(' or ');
      return [`content type ${mediaType || '(none)'} is not accepted; expected ${expected}`];
    }
    if (mediaType === 'application/x-www-form-urlencoded') {
      return this.#checkForm(routed, content.schema, request.body as Form);
    }
    return this.#checkJson(this.#json, routed, content.schema, request.body, 'body');
  }

  /** A form is checked parameter by parameter: repeated names are arrays, values are text. */
  #checkForm(routed: RoutedOperation, schema: OaiSchema, form: Form): string[] {
    const document = this.#documentOf(routed);
    const resolved = resolveSchema(document, schema);
    const properties = resolved.properties ?? {};
    const problems: string[] = [];
    for (const [name, value] of Object.entries(form)) {
      const property = properties[name];
      const where = `form parameter ${name}`;
      if (!property) {
        problems.push(`${where} is not defined`);
        continue;
      }
      const propertySchema = resolveSchema(document, property);
      if (propertySchema.type === 'array') {
        const items = propertySchema.items ?? anyValue;
        for (const v of Array.isArray(value) ? value : [value]) {
          problems.push(...this.#checkText(routed, items, v, where));
        }
      } else if (Array.isArray(value)) {
        problems.push(`${where} is repeated but is not an array`);
      } else {
        problems.push(...this.#checkText(routed, property, value, where));
      }
    }
    for (const name of resolved.required ?? []) {
      if (form[name] === undefined) problems.push(`form parameter ${name} is required`);
    }
    return problems;
  }

  /** A value that arrived as text, coerced to the schema's type before the check. */
  #checkText(routed: RoutedOperation, schema: OaiSchema, value: string, where: string): string[] {
    const errors = this.#text.errors(routed.documentIndex, schema, value);
    // A value of the wrong type says only that; its enum or range would repeat it.
    const typeError = errors.find((e) => e.keyword === 'type');
    return (typeError ? [typeError] : errors).map((e) => describeSchemaError(e, where, value));
  }

  #checkJson(
    checker: SchemaChecker,
    routed: RoutedOperation,
    schema: OaiSchema,
    value: unknown,
    where: string,
  ): string[] {
    return checker
      .errors(routed.documentIndex, schema, value)
      .map((e) => describeSchemaError(e, `${where}${jsonPath(e.instancePath)}`));
  }
}

function responseSchemaOf(routed: RoutedOperation, status: number): OaiSchema | undefined {
  return routed.operation.responses[String(status)]?.content?.['application/json']?.schema;
}

/** ajv's `/webhook/callback_method` or `/messages/0/sid` as `.webhook.callback_method` / `.messages[0].sid`. */
function jsonPath(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) =>
      /^\d+$/.test(part) ? `[${part}]` : `.${part.replaceAll('~1', '/').replaceAll('~0', '~')}`,
    )
    .join('');
}
