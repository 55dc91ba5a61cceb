import { describe, expect, it } from 'vitest';
import { appendEventParamsSchema, appendEventsParamsSchema } from './append.js';
import { createInstanceParamsSchema } from './instance.js';
import { toInputJsonSchema } from './json-schema.js';
import { instanceRefSchema } from './names.js';
import { paramsObject } from './schema.js';

describe('toInputJsonSchema', () => {
  it('given the createInstance params, when converted, then unknown keys are closed and optional keys are not required', () => {
    expect(toInputJsonSchema(createInstanceParamsSchema)).toEqual({
      type: 'object',
      properties: { name: { type: 'string' }, description: { type: ['string', 'null'] } },
      required: ['name'],
      additionalProperties: false,
    });
  });

  it('given the append params, when converted, then both spellings, the version union and nested events are described', () => {
    const single = toInputJsonSchema(appendEventParamsSchema);
    expect(single).toMatchObject({ type: 'object', required: ['instanceId'], additionalProperties: false });
    expect(Object.keys(single.properties as object)).toEqual(
      expect.arrayContaining(['instanceId', 'streamId', 'stream_id', 'eventType', 'event_type', 'payload']),
    );
    expect((single.properties as Record<string, unknown>).expectedVersion).toEqual({
      anyOf: [
        { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER },
        { type: 'string', enum: ['no_stream', 'any', 'stream_exists'] },
      ],
    });
    const batch = toInputJsonSchema(appendEventsParamsSchema);
    expect(batch).toMatchObject({
      required: ['instanceId', 'events'],
      properties: { events: { type: 'array', minItems: 1, items: { additionalProperties: false } } },
    });
  });

  it('given a params object built from exported field schemas, when converted, then it has no $schema keyword', () => {
    const schema = toInputJsonSchema(paramsObject({ instanceId: instanceRefSchema }, 'the params'));
    expect(schema).toEqual({
      type: 'object',
      properties: { instanceId: { type: 'string' } },
      required: ['instanceId'],
      additionalProperties: false,
    });
  });
});
