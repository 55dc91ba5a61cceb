/**
 * The tools' input schemas. The params of the instance and append methods are generated from the
 * zod schemas the API validates with (`toInputJsonSchema`), composed into the wire params exactly
 * as `dispatch` reads them; only property descriptions are added here. The query DSL is validated
 * by a hand-written parser, not zod: its schema is a loose guide built from the parser's own
 * vocabularies (operators, columns, reduce types, time intervals), so it never rejects a query the
 * parser accepts, and the parser stays the judge.
 */

import {
  appendEventParamsSchema,
  appendEventsParamsSchema,
  COLUMN_ALIASES,
  COLUMNS,
  createInstanceParamsSchema,
  instanceRefSchema,
  instanceUpdateSchema,
  type JsonSchema,
  OPERATORS,
  paramsObject,
  REDUCE_TYPES,
  TIME_INTERVALS,
  toInputJsonSchema,
} from '@eventlog/core';

/** Descriptions of the params an agent gives, by property name (wherever it appears). */
const PROPERTY_DESCRIPTIONS: Readonly<Record<string, string>> = {
  instanceId: "The instance's id or its name.",
  name: 'The instance name: unique, 1–200 characters.',
  description: 'A free-text description (null removes it on update).',
  streamId: 'The stream, e.g. "user-123" (default "default"). Also spelled stream_id; give one.',
  stream_id: 'Same as streamId.',
  eventType: 'The event type, e.g. "login". Required for every event; also spelled event_type.',
  event_type: 'Same as eventType.',
  payload: 'The event data: a JSON object (default {}).',
  metadata: 'Data about the event (source, user, correlation ids): a JSON object (default {}).',
  timestamp: 'When it happened: ISO 8601 with Z or an offset, or epoch milliseconds (default: now).',
  eventId:
    'An idempotency key: appending an eventId the instance already holds returns the stored event with duplicate: true and writes nothing.',
  expectedVersion:
    'Optimistic concurrency: the stream\'s last sequence_number as you read it (0 or "no_stream": the stream has no events), "any", or "stream_exists". A mismatch is CONFLICT and writes nothing.',
  autoCreateInstance: 'Create the instance (id and name = instanceId) when it does not exist.',
  events:
    'The events, stored atomically (all or none) in this order: [{ eventType, streamId?, payload?, metadata?, timestamp?, eventId? }].',
};

function describeProperties(schema: JsonSchema): JsonSchema {
  const properties = schema.properties as Record<string, JsonSchema> | undefined;
  if (properties !== undefined) {
    for (const [key, property] of Object.entries(properties)) {
      const text = PROPERTY_DESCRIPTIONS[key];
      if (text !== undefined && property.description === undefined) property.description = text;
      describeProperties(property);
    }
  }
  const items = schema.items as JsonSchema | undefined;
  if (items !== undefined && typeof items === 'object') describeProperties(items);
  return schema;
}

const generated = (schema: Parameters<typeof toInputJsonSchema>[0]) =>
  describeProperties(toInputJsonSchema(schema));

const instanceRefParams = (method: string) =>
  generated(paramsObject({ instanceId: instanceRefSchema }, `the ${method} params`));

/** The `query` argument: a guide to the DSL built from the parser's vocabularies. */
function querySchema(defaultLimit: number, maxLimit: number): JsonSchema {
  const field = {
    type: 'string',
    description: `${COLUMNS.join(', ')}, a path below payload or metadata (payload.user.id, payload.items.0), or ${Object.keys(COLUMN_ALIASES).join(', ')}.`,
  };
  return {
    type: 'object',
    description: 'A query in the JSON DSL; see the tool description.',
    properties: {
      from: {
        type: 'object',
        description: 'What to read: an instance (id or name) and optionally one stream.',
        properties: { instance: { type: 'string' }, stream: { type: 'string' } },
        required: ['instance'],
      },
      where: {
        type: 'array',
        description:
          'Conditions that must all hold: { field, operator, value }, { or: [conditions] } or { not: condition }.',
        items: {
          type: 'object',
          properties: {
            field,
            operator: { type: 'string', enum: [...OPERATORS] },
            value: {},
            or: { type: 'array', items: { type: 'object' } },
            not: { type: 'object' },
          },
        },
      },
      select: { type: 'array', description: 'Fields to return (smaller results).', items: field },
      orderBy: {
        type: 'object',
        description: 'Default global_position asc.',
        properties: { field, direction: { type: 'string', enum: ['asc', 'desc'] } },
        required: ['field'],
      },
      limit: {
        type: 'integer',
        minimum: 0,
        maximum: maxLimit,
        description: `Events per page (default here ${defaultLimit}).`,
      },
      offset: { type: 'integer', minimum: 0, description: 'Events to skip (paging).' },
      reduce: {
        type: 'object',
        description: 'Aggregate all matches instead of returning events.',
        properties: {
          type: { type: 'string', enum: [...REDUCE_TYPES] },
          field,
          groupBy: {
            type: 'array',
            items: {
              anyOf: [
                field,
                {
                  type: 'object',
                  properties: {
                    field: { type: 'string', enum: ['timestamp'] },
                    interval: { type: 'string', enum: [...TIME_INTERVALS] },
                  },
                  required: ['field', 'interval'],
                },
              ],
            },
          },
        },
        required: ['type'],
      },
    },
    required: ['from'],
  };
}

let cached: Omit<ToolInputSchemas, 'queryEvents'> | undefined;

/** The input schema of each method's tool, by method name. */
export interface ToolInputSchemas {
  createInstance: JsonSchema;
  getInstance: JsonSchema;
  listInstances: JsonSchema;
  updateInstance: JsonSchema;
  deleteInstance: JsonSchema;
  appendEvent: JsonSchema;
  appendEvents: JsonSchema;
  queryEvents: JsonSchema;
  getInstanceStats: JsonSchema;
}

/**
 * The nine input schemas, as the wire params (`dispatch`) take them. The generated ones are built
 * once per process.
 *
 * @param defaultLimit the query tool's default `limit` (mentioned in its schema)
 * @param maxLimit the log's largest query `limit`
 */
export function toolInputSchemas(defaultLimit: number, maxLimit: number): ToolInputSchemas {
  cached ??= {
    createInstance: generated(createInstanceParamsSchema),
    getInstance: instanceRefParams('getInstance'),
    listInstances: generated(paramsObject({}, 'the listInstances params')),
    updateInstance: generated(
      paramsObject(
        { instanceId: instanceRefSchema, ...instanceUpdateSchema.shape },
        'the updateInstance params',
      ),
    ),
    deleteInstance: instanceRefParams('deleteInstance'),
    appendEvent: generated(appendEventParamsSchema),
    appendEvents: generated(appendEventsParamsSchema),
    getInstanceStats: instanceRefParams('getInstanceStats'),
  };
  // Copies, so a caller that edits a schema cannot change another server's.
  const copy = structuredClone(cached);
  return {
    ...copy,
    queryEvents: {
      type: 'object',
      properties: { query: querySchema(defaultLimit, maxLimit) },
      required: ['query'],
      additionalProperties: false,
    },
  };
}
