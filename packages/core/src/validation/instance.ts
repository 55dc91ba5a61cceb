/**
 * Validation of the instance methods' params: `createInstance(name, description?)`,
 * `getInstance` / `deleteInstance` / `getInstanceStats(instanceId)` and
 * `updateInstance(instanceId, { name?, description? })`.
 */

import type { InstanceUpdate } from '../model.js';
import { invalid } from './issues.js';
import { descriptionSchema, instanceNameSchema, instanceRefSchema } from './names.js';
import { paramsObject, parseWith } from './schema.js';

/** The params of `createInstance`, as one object (the wire form `{ name, description }`). */
export const createInstanceParamsSchema = paramsObject(
  { name: instanceNameSchema, description: descriptionSchema.nullable().optional() },
  'the createInstance params',
);

/** The updates of `updateInstance`: `description: null` removes the description. */
export const instanceUpdateSchema = paramsObject(
  { name: instanceNameSchema.optional(), description: descriptionSchema.nullable().optional() },
  'the instance updates',
);

/**
 * Validates `createInstance(name, description?)`. A `null` description means none.
 *
 * @throws EventLogError `VALIDATION_ERROR` naming `name` or `description`
 */
export function validateCreateInstance(
  name: unknown,
  description?: unknown,
): { name: string; description?: string } {
  const params = parseWith(createInstanceParamsSchema, { name, description });
  return params.description == null
    ? { name: params.name }
    : { name: params.name, description: params.description };
}

/**
 * Validates an instance reference (its id or its name).
 *
 * @param path the param's name in messages. Default `instanceId`.
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function validateInstanceRef(ref: unknown, path = 'instanceId'): string {
  return parseWith(instanceRefSchema, ref, path);
}

/**
 * Validates the updates of `updateInstance`: at least one of `name` and `description`.
 *
 * @throws EventLogError `VALIDATION_ERROR` naming `updates.<key>`
 */
export function validateInstanceUpdate(updates: unknown, path = 'updates'): InstanceUpdate {
  const parsed = parseWith(instanceUpdateSchema, updates, path);
  const out: InstanceUpdate = {};
  if (parsed.name !== undefined) out.name = parsed.name;
  if (parsed.description !== undefined) out.description = parsed.description;
  if (out.name === undefined && out.description === undefined) {
    throw invalid(path, 'has nothing to update; give name and/or description (null removes the description)');
  }
  return out;
}
