/**
 * JSON Schemas of the input validation schemas, for callers that describe the API to others (the
 * MCP server's tool input schemas), so the description is generated from the validation itself and
 * never drifts from it.
 */

import { type ZodType, z } from 'zod';

/** A JSON Schema object (draft 2020-12), as plain JSON. */
export type JsonSchema = { [key: string]: unknown };

/**
 * The JSON Schema of what a validation schema accepts as input. Params objects (see
 * {@link paramsObject}) reject unknown keys, so they become `additionalProperties: false`; rules
 * checked in code after the shape (name lengths and characters, JSON-only payloads, timestamps)
 * cannot be expressed and are left out, so the schema is a guide and the validator stays the
 * judge. The `$schema` keyword is omitted (the draft is 2020-12).
 *
 * @example
 * toInputJsonSchema(createInstanceParamsSchema)
 * // { type: 'object', properties: { name: { type: 'string' }, description: { type: ['string', 'null'] } },
 * //   required: ['name'], additionalProperties: false }
 */
export function toInputJsonSchema(schema: ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    io: 'input',
    // `z.undefined()` (the catch-all of params objects) has no JSON Schema; the override replaces it.
    unrepresentable: 'any',
    override: ({ zodSchema, jsonSchema }) => {
      const def = zodSchema._zod.def;
      if (def.type === 'object' && (def as z.core.$ZodObjectDef).catchall?._zod.def.type === 'undefined') {
        jsonSchema.additionalProperties = false;
      }
    },
  }) as JsonSchema;
  delete json.$schema;
  return json;
}
