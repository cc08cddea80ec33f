import specs from '@asyncapi/specs'
import { Ajv, type ErrorObject, type SchemaObject } from 'ajv'
import formats from 'ajv-formats'
import type { JsonSchema } from './wire-schema.ts'

// Validators for the AsyncAPI tests: the official AsyncAPI 3.0.0 JSON Schema from @asyncapi/specs
// (a root devDependency, so the tests need no network), and plain draft-07 for payload schemas.

const describe = (errors: ErrorObject[] | null | undefined): string[] =>
  (errors ?? []).map((error) => `${error.instancePath || '/'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)

// The AsyncAPI schema carries the draft-07 meta-schema under its own $id: Ajv's copy would clash.
const asyncapi = new Ajv({ strict: false, allErrors: true, meta: false, validateSchema: false })
formats.default(asyncapi)
const validateAsyncAPI = asyncapi.compile(specs.schemas['3.0.0'] as SchemaObject)

/** The errors the official AsyncAPI 3.0.0 JSON Schema finds in `document`; empty when valid. */
export function asyncAPIErrors(document: unknown): string[] {
  return validateAsyncAPI(document) ? [] : describe(validateAsyncAPI.errors)
}

/** A draft-07 validator for `schema`, which must compile (unknown formats and keywords refused). */
export function draft07(schema: JsonSchema): (value: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strictTuples: false })
  formats.default(ajv)
  const validate = ajv.compile(schema)
  return (value) => (validate(value) ? [] : describe(validate.errors))
}

/**
 * A validator for the payload schema `#/components/schemas/<key>` of an AsyncAPI `document`, its
 * `$ref`s read from the document's root as AsyncAPI reads them: a `$ref` that leads nowhere throws.
 */
export function payloadValidator(document: object, key: string): (value: unknown) => string[] {
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false })
  formats.default(ajv)
  ajv.addSchema(document, 'asyncapi')
  const validate = ajv.compile({ $ref: `asyncapi#/components/schemas/${key}` })
  return (value) => (validate(value) ? [] : describe(validate.errors))
}
