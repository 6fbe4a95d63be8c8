import type { ErrorObject, ValidateFunction } from 'ajv';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import type { OaiDocument, OaiSchema } from './description.ts';

/**
 * Twilio's schemas, compiled by ajv. OpenAPI 3.0 schemas are nearly JSON
 * Schema; `prepareSchema` closes the gap: `$ref`s point at the document's id,
 * a `$ref` marked `nullable` is inlined (ajv's `nullable` needs a `type`
 * beside it), and an object that lists its properties admits no others.
 */

/** Formats checked on requests; every other format Twilio names (rfc-2822 dates, currencies…) passes. */
const checkedFormats = ['uri', 'date', 'date-time', 'int32', 'int64'] as const;
/** E.164, a channel address (`whatsapp:+…`), an alphanumeric sender ID or a short code. */
const phoneNumber = /^(\+[1-9]\d{1,14}|[a-z]+:.+|[A-Za-z0-9 ]{1,11}|\d{3,8})$/;

function prepareSchema(document: OaiDocument, id: string, schema: OaiSchema, depth = 0): OaiSchema {
  const prepare = (s: OaiSchema) => prepareSchema(document, id, s, depth);
  if (schema.$ref !== undefined) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    const target = document.components.schemas[name];
    if (schema.nullable && target && depth < 10) {
      return { ...prepareSchema(document, id, target, depth + 1), nullable: true };
    }
    return { $ref: `${id}#/components/schemas/${name}` };
  }
  const out: OaiSchema = { ...schema };
  if (out.nullable && out.type === undefined) delete out.nullable;
  // OpenAPI 3.0 lets `null` through a nullable enum; ajv wants it listed.
  if (out.nullable && out.enum && !out.enum.includes(null)) out.enum = [...out.enum, null];
  if (out.properties) {
    out.properties = Object.fromEntries(Object.entries(out.properties).map(([k, v]) => [k, prepare(v)]));
    out.additionalProperties ??= false;
  }
  if (typeof out.additionalProperties === 'object')
    out.additionalProperties = prepare(out.additionalProperties);
  if (out.items) out.items = prepare(out.items);
  for (const key of ['allOf', 'anyOf', 'oneOf'] as const) {
    const list = out[key];
    if (list) out[key] = list.map(prepare);
  }
  return out;
}

/** Every `format` a description names, so ajv knows each one. */
function formatsIn(value: unknown, found = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) formatsIn(v, found);
  else if (typeof value === 'object' && value !== null) {
    for (const [key, v] of Object.entries(value)) {
      if (key === 'format' && typeof v === 'string') found.add(v);
      else formatsIn(v, found);
    }
  }
  return found;
}

/**
 * Checks values against the schemas of the descriptions. One per way values
 * arrive: `text` (path, query, form: coerced to the schema's type first),
 * `json` request bodies, and the simulator's own `answer`s (Twilio writes
 * relative `uri`s under `format: uri`, so only phone numbers are checked there).
 */
export class SchemaChecker {
  readonly #ajv: Ajv;
  readonly #documents: readonly OaiDocument[];
  readonly #compiled = new WeakMap<OaiSchema, ValidateFunction>();

  constructor(documents: readonly OaiDocument[], use: 'text' | 'json' | 'answer') {
    this.#documents = documents;
    this.#ajv = new Ajv({
      allErrors: true,
      strict: false,
      validateSchema: false,
      coerceTypes: use === 'text',
      // Errors carry the value they are about (to tell `null` apart).
      verbose: true,
    });
    if (use !== 'answer') {
      addFormats(this.#ajv, [...checkedFormats]);
      // In a form (text), an empty URL parameter is how a v2010 update clears it
      // (SmsUrl, StatusCallback: "an empty URL clears it", accounts/product.ts); any
      // other value must still be a URI.
      const uri = this.#ajv.formats.uri;
      if (use === 'text' && typeof uri === 'function')
        this.#ajv.addFormat('uri', (value: string) => value === '' || uri(value));
    }
    this.#ajv.addFormat('phone-number', phoneNumber);
    documents.forEach((document, index) => {
      for (const format of formatsIn(document)) {
        if (!this.#ajv.formats[format]) this.#ajv.addFormat(format, true);
      }
      const id = documentId(index);
      const schemas = Object.fromEntries(
        Object.entries(document.components.schemas).map(([name, s]) => [
          name,
          prepareSchema(document, id, s),
        ]),
      );
      this.#ajv.addSchema({ $id: id, components: { schemas } });
    });
  }

  /** ajv's errors for `value` against `schema` (a schema of document number `documentIndex`). */
  errors(documentIndex: number, schema: OaiSchema, value: unknown): ErrorObject[] {
    let validate = this.#compiled.get(schema);
    if (!validate) {
      const document = this.#documents[documentIndex] as OaiDocument;
      validate = this.#ajv.compile(prepareSchema(document, documentId(documentIndex), schema));
      this.#compiled.set(schema, validate);
    }
    validate(value);
    return validate.errors ?? [];
  }
}

const documentId = (index: number) => `twilio-oai-${index}`;

const typeWords: Record<string, string> = {
  object: 'an object',
  array: 'an array',
  integer: 'an integer',
  number: 'a number',
  boolean: 'a boolean',
  string: 'a string',
};

const formatWords: Record<string, string> = {
  uri: 'a URI',
  'phone-number': 'a phone number or channel address',
};

/**
 * The sentence for one schema error. `where` names the value ("form parameter To",
 * "body.webhook"); `text` is the value as it arrived in a path, query or form.
 */
export function describeSchemaError(error: ErrorObject, where: string, text?: string): string {
  const got = text === undefined ? '' : `, got ${text}`;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      if (error.data === null) return `${where} must not be null`;
      if (text !== undefined && params.type === 'boolean') return `${where} must be true or false${got}`;
      return `${where} must be ${typeWords[String(params.type)] ?? params.type}${got}`;
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[]).filter((v) => v !== null).join(', ')}${got}`;
    case 'minLength':
      return `${where} is shorter than ${params.limit}`;
    case 'maxLength':
      return `${where} is longer than ${params.limit}`;
    case 'minimum':
      return `${where} is below ${params.limit}`;
    case 'maximum':
      return `${where} is above ${params.limit}`;
    case 'pattern':
      return `${where} does not match ${params.pattern}`;
    case 'format':
      return `${where} must be ${formatWords[String(params.format)] ?? `a ${params.format}`}${got}`;
    case 'additionalProperties':
      return `${where}.${params.additionalProperty} is not defined`;
    case 'required':
      return `${where}.${params.missingProperty} is required`;
    default:
      return `${where} ${error.message ?? error.keyword}`;
  }
}
