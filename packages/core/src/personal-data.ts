/**
 * Erasure of personal data by crypto-shredding (GDPR "right to be forgotten" on an append-only
 * log).
 *
 * An append marks payload fields as personal data of a subject in the event's metadata:
 *
 * ```ts
 * { eventType: 'CustomerRegistered',
 *   payload: { customerId: 'c-42', email: 'ada@example.com', address: { city: 'London' } },
 *   metadata: { subject: 'customer-c-42', personal: ['payload.email', 'payload.address.city'] } }
 * ```
 *
 * The facade replaces each marked value with a string `"$pii:v1:…"`: the value's JSON encrypted
 * with AES-256-GCM under the subject's key (a random 256-bit key, a random 96-bit IV per value,
 * the subject and key id as associated data). Keys live in the adapter's key-value store,
 * namespace {@link SUBJECT_KEY_NAMESPACE}, one entry per subject. Reads (queries, `readAfter`, live
 * events, projections, aggregates) decrypt; `forgetSubject` deletes the key, after which every
 * read returns those fields as {@link ERASED}. The store never holds the clear values.
 *
 * Marked paths of each instance are remembered (namespace {@link PERSONAL_PATHS_NAMESPACE}), so a
 * query that filters, orders, groups or aggregates on one is a `VALIDATION_ERROR` (ciphertext
 * cannot be compared); `select` of them works (values are decrypted).
 */

import type { KeyValueStore, NewEvent } from './adapter.js';
import type { FieldNode, QueryNode } from './dsl/ast.js';
import { parseField } from './dsl/parse.js';
import { EventLogError, storageError } from './errors.js';
import type { EventRecord, JsonObject, JsonValue, QueryResult } from './model.js';
import { describeValue, invalid } from './validation/issues.js';
import { nameProblem } from './validation/names.js';

/** The key-value namespace of subjects' keys. */
export const SUBJECT_KEY_NAMESPACE = 'eventlog.subject-keys';

/** The key-value namespace of each instance's personal paths (key: the instance id). */
export const PERSONAL_PATHS_NAMESPACE = 'eventlog.personal-paths';

/** What a personal field reads as once its subject is forgotten. */
export const ERASED = '[erased]';

/** The prefix of an encrypted value. */
export const ENCRYPTED_PREFIX = '$pii:v1:';

/** At most this many personal paths per event. */
export const MAX_PERSONAL_PATHS = 32;

/** The personal-data marking of one event. */
export interface PersonalMark {
  subject: string;
  /** Distinct, canonical `payload.…` paths. */
  paths: FieldNode[];
}

/**
 * Reads and checks an event's marking: `metadata.personal` (1–32 distinct `payload.…` paths of the
 * DSL's path grammar) with `metadata.subject` (a name: 1–200 characters). Undefined when the event
 * has no `metadata.personal`.
 *
 * @param where the metadata's location in messages (`events[2].metadata`)
 * @throws EventLogError `VALIDATION_ERROR`
 */
export function personalMarkOf(metadata: JsonObject, where: string): PersonalMark | undefined {
  const personal = metadata.personal;
  if (personal === undefined) return undefined;
  if (!Array.isArray(personal) || personal.length === 0 || personal.length > MAX_PERSONAL_PATHS) {
    throw invalid(
      `${where}.personal`,
      `expected 1–${MAX_PERSONAL_PATHS} payload paths of personal data (like ["payload.email"]), got ${describeValue(personal)}`,
    );
  }
  const subject = metadata.subject;
  if (typeof subject !== 'string') {
    throw invalid(
      `${where}.subject`,
      `is required with ${where}.personal: give the data subject's id (a string of 1–200 characters; a pseudonymous id is best, it stays readable), got ${describeValue(subject)}`,
    );
  }
  const problem = nameProblem(subject, 'subject ids');
  if (problem !== undefined) throw invalid(`${where}.subject`, problem);
  const seen = new Set<string>();
  const paths: FieldNode[] = [];
  for (let i = 0; i < personal.length; i++) {
    const at = `${where}.personal[${i}]`;
    const field = parseField(personal[i], at);
    if (field.column !== 'payload' || field.path.length === 0) {
      throw invalid(
        at,
        `${JSON.stringify(personal[i])} is not a path below payload; personal data is marked by paths like "payload.email"`,
      );
    }
    if (seen.has(field.name)) throw invalid(at, `${JSON.stringify(field.name)} is listed twice`);
    seen.add(field.name);
    paths.push(field);
  }
  return { subject, paths };
}

/** A subject's key as stored. */
interface StoredKey {
  keyId: string;
  key: string;
}

type NodeCrypto = typeof import('node:crypto');
let nodeCrypto: Promise<NodeCrypto> | undefined;

/** `node:crypto`, loaded on first use, so that core stays importable where there is none (browsers). */
function crypto(): Promise<NodeCrypto> {
  nodeCrypto ??= import('node:crypto').catch((error: unknown) => {
    nodeCrypto = undefined;
    throw storageError(
      'Personal data needs node:crypto (AES-256-GCM), which this runtime lacks; encrypt and read personal data on the server.',
      error,
    );
  });
  return nodeCrypto;
}

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const unb64 = (text: string) => Buffer.from(text, 'base64url');

function aad(subject: string, keyId: string): Buffer {
  return Buffer.from(`eventlog-pii-v1\u0000${subject}\u0000${keyId}`, 'utf8');
}

function isStoredKey(value: unknown): value is StoredKey {
  const v = value as Partial<StoredKey> | null;
  return typeof v === 'object' && v !== null && typeof v.keyId === 'string' && typeof v.key === 'string';
}

/** The subject's current key, creating it when `create` (safely when two callers race). */
async function subjectKey(
  kv: KeyValueStore,
  subject: string,
  create: boolean,
): Promise<StoredKey | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const stored = await kv.get(SUBJECT_KEY_NAMESPACE, subject);
    if (stored !== undefined) {
      if (!isStoredKey(stored.value)) {
        throw storageError(
          `The key of subject ${JSON.stringify(subject)} is malformed in the key-value store.`,
        );
      }
      return stored.value;
    }
    if (!create) return undefined;
    const { randomBytes } = await crypto();
    const fresh: StoredKey = { keyId: randomBytes(8).toString('hex'), key: b64(randomBytes(32)) };
    try {
      await kv.put(SUBJECT_KEY_NAMESPACE, subject, { ...fresh }, { expectedVersion: null });
      return fresh;
    } catch (error) {
      // Another writer created it first: use theirs.
      if (!(EventLogError.isInstance(error) && error.code === 'CONFLICT')) throw error;
    }
  }
  throw storageError(`Could not create the key of subject ${JSON.stringify(subject)}; try again.`);
}

/** Reads the value at a path; undefined when missing. */
function getAt(root: JsonValue, path: readonly (string | number)[]): JsonValue | undefined {
  let node: JsonValue | undefined = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return undefined;
    if (typeof segment === 'number') {
      if (!Array.isArray(node)) return undefined;
      node = node[segment];
    } else {
      if (Array.isArray(node) || !Object.hasOwn(node, segment)) return undefined;
      node = (node as JsonObject)[segment];
    }
  }
  return node;
}

/** Replaces the value at a path that exists (see {@link getAt}). */
function setAt(root: JsonValue, path: readonly (string | number)[], value: JsonValue): void {
  let node = root as JsonObject | JsonValue[];
  for (let i = 0; i < path.length - 1; i++) node = (node as JsonObject)[path[i] as string] as JsonObject;
  (node as JsonObject)[path[path.length - 1] as string] = value;
}

/** True for a string that holds an encrypted value. */
export function isEncryptedValue(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(ENCRYPTED_PREFIX);
}

/**
 * The events of an append that mark personal data, with their marks.
 *
 * @param batch true for `appendEvents` (messages name `events[i].metadata`), false for `appendEvent`
 * @throws EventLogError `VALIDATION_ERROR` for a malformed marking
 */
export function personalEventsOf(
  events: readonly NewEvent[],
  batch = events.length !== 1,
): Array<{ index: number; mark: PersonalMark }> {
  const out: Array<{ index: number; mark: PersonalMark }> = [];
  for (let i = 0; i < events.length; i++) {
    const metadata = (events[i] as NewEvent).metadata;
    if (metadata.personal === undefined) continue;
    const mark = personalMarkOf(metadata, batch ? `events[${i}].metadata` : 'metadata');
    if (mark !== undefined) out.push({ index: i, mark });
  }
  return out;
}

/**
 * Encrypts the marked values of `event` in place (its payload is the facade's own copy), creating
 * the subject's key on first use. A marked path that is missing is skipped; a value already
 * encrypted is left as it is.
 */
export async function encryptPersonal(kv: KeyValueStore, event: NewEvent, mark: PersonalMark): Promise<void> {
  const present = mark.paths.filter((p) => {
    const value = getAt(event.payload, p.path);
    return value !== undefined && !isEncryptedValue(value);
  });
  if (present.length === 0) return;
  const key = (await subjectKey(kv, mark.subject, true)) as StoredKey;
  const { createCipheriv, randomBytes } = await crypto();
  const secret = unb64(key.key);
  const associated = aad(mark.subject, key.keyId);
  for (const field of present) {
    const clear = Buffer.from(JSON.stringify(getAt(event.payload, field.path)), 'utf8');
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', secret, iv);
    cipher.setAAD(associated);
    const data = Buffer.concat([cipher.update(clear), cipher.final(), cipher.getAuthTag()]);
    const token = [b64(Buffer.from(mark.subject, 'utf8')), key.keyId, b64(iv), b64(data)].join('.');
    setAt(event.payload, field.path, `${ENCRYPTED_PREFIX}${token}`);
  }
}

/** Decrypts encrypted values for one read: each subject's key is read once per read. */
export class PersonalDataReader {
  private readonly keys = new Map<string, Promise<StoredKey | undefined>>();

  constructor(private readonly kv: KeyValueStore) {}

  /** The clear value of an encrypted string, or {@link ERASED} when its key is gone. */
  async decrypt(token: string): Promise<JsonValue> {
    const parts = token.slice(ENCRYPTED_PREFIX.length).split('.');
    if (parts.length !== 4) return ERASED;
    const [subjectB64, keyId, ivB64, dataB64] = parts as [string, string, string, string];
    const subject = unb64(subjectB64).toString('utf8');
    let pending = this.keys.get(subject);
    if (pending === undefined) {
      pending = subjectKey(this.kv, subject, false);
      this.keys.set(subject, pending);
    }
    const key = await pending;
    if (key === undefined || key.keyId !== keyId) return ERASED;
    const { createDecipheriv } = await crypto();
    try {
      const data = unb64(dataB64);
      const decipher = createDecipheriv('aes-256-gcm', unb64(key.key), unb64(ivB64));
      decipher.setAAD(aad(subject, keyId));
      decipher.setAuthTag(data.subarray(data.length - 16));
      const clear = Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]);
      return JSON.parse(clear.toString('utf8')) as JsonValue;
    } catch {
      // A value that does not authenticate under the subject's key is not theirs to read.
      return ERASED;
    }
  }

  /** Decrypts every encrypted string inside `value` (a fresh value; the input is not changed). */
  async deep(value: JsonValue): Promise<JsonValue> {
    if (isEncryptedValue(value)) return this.decrypt(value);
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return Promise.all(value.map((v) => this.deep(v)));
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(value)) {
      Object.defineProperty(out, k, {
        value: await this.deep(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  /**
   * The record with its personal fields decrypted: those its `metadata.personal` names, or, for a
   * partial record (a `select`), every encrypted string of its payload. The record itself is left
   * as it is; a changed copy is returned.
   */
  async record<T extends Partial<EventRecord>>(record: T): Promise<T> {
    const payload = record.payload as JsonObject | undefined;
    if (payload === undefined) return record;
    const personal = (record.metadata as JsonObject | undefined)?.personal;
    if (Array.isArray(personal)) {
      let copy: JsonObject | undefined;
      for (const raw of personal) {
        if (typeof raw !== 'string' || !raw.startsWith('payload.')) continue;
        let field: FieldNode;
        try {
          field = parseField(raw, 'metadata.personal');
        } catch {
          continue;
        }
        const value = getAt(payload, field.path);
        if (!isEncryptedValue(value)) continue;
        copy ??= structuredClone(payload);
        setAt(copy, field.path, await this.decrypt(value));
      }
      return copy === undefined ? record : { ...record, payload: copy };
    }
    if (record.metadata !== undefined) return record;
    // A partial record without metadata: find encrypted strings by their prefix.
    if (!JSON.stringify(payload).includes(ENCRYPTED_PREFIX)) return record;
    return { ...record, payload: (await this.deep(payload)) as JsonObject };
  }
}

/** True when a record may hold encrypted values (it marks personal data, or is partial). */
export function mayHoldPersonal(record: Partial<EventRecord>): boolean {
  const metadata = record.metadata as JsonObject | undefined;
  return metadata === undefined ? record.payload !== undefined : metadata.personal !== undefined;
}

/** Decrypts the personal fields of records; records without any come back as they are. */
export async function decryptRecords<T extends Partial<EventRecord>>(
  kv: KeyValueStore,
  records: T[],
): Promise<T[]> {
  let reader: PersonalDataReader | undefined;
  const out = records.slice();
  for (let i = 0; i < out.length; i++) {
    const record = out[i] as T;
    if (!mayHoldPersonal(record)) continue;
    reader ??= new PersonalDataReader(kv);
    out[i] = await reader.record(record);
  }
  return out;
}

/** Decrypts a query result: its events and, for `collect`, the collected values. */
export async function decryptResult(kv: KeyValueStore, result: QueryResult): Promise<QueryResult> {
  let out = result;
  if (result.events !== undefined && result.events.length > 0) {
    const events = await decryptRecords(kv, result.events);
    if (events.some((e, i) => e !== result.events?.[i])) out = { ...out, events };
  }
  const aggregation = result.aggregation;
  if (aggregation?.type === 'collect' && JSON.stringify(aggregation).includes(ENCRYPTED_PREFIX)) {
    const reader = new PersonalDataReader(kv);
    const next = { ...aggregation };
    if (next.value !== undefined) next.value = await reader.deep(next.value);
    if (next.groups !== undefined) {
      next.groups = await Promise.all(
        next.groups.map(async (g) => ({ ...g, value: await reader.deep(g.value) })),
      );
    }
    out = { ...out, aggregation: next };
  }
  return out;
}

/** The field nodes a query compares, orders, groups or aggregates on (not `select`). */
function comparedFields(query: QueryNode): FieldNode[] {
  const fields: FieldNode[] = [];
  const walk = (node: QueryNode['where']) => {
    if (node === undefined) return;
    switch (node.kind) {
      case 'and':
      case 'or':
        for (const c of node.conditions) walk(c);
        return;
      case 'not':
        walk(node.condition);
        return;
      default:
        fields.push(node.field);
    }
  };
  walk(query.where);
  if (query.reduce === undefined) for (const o of query.orderBy) fields.push(o.field);
  if (query.reduce?.field !== undefined) fields.push(query.reduce.field);
  for (const g of query.reduce?.groupBy ?? []) fields.push(g.field);
  return fields.filter((f) => f.column === 'payload' && f.path.length > 0);
}

/** True when `field` is a personal path or below one. */
function isUnder(field: FieldNode, personal: string): boolean {
  return field.name === personal || field.name.startsWith(`${personal}.`);
}

/**
 * Refuses a query that compares, orders, groups or aggregates on a field marked personal in the
 * instance (the stored value is ciphertext). `paths` are the instance's known personal paths.
 *
 * @throws EventLogError `VALIDATION_ERROR` naming the field
 */
export function assertNoPersonalFields(query: QueryNode, paths: readonly string[]): void {
  if (paths.length === 0) return;
  for (const field of comparedFields(query)) {
    const personal = paths.find((p) => isUnder(field, p));
    if (personal !== undefined) {
      throw invalid(
        'query',
        `${JSON.stringify(field.name)} is personal data (marked ${JSON.stringify(personal)} in metadata.personal) and stored encrypted, so it cannot be filtered, ordered, grouped or aggregated; select it to read it, or filter on a field that is not personal (metadata.subject, for example)`,
      );
    }
  }
}

/** True when a query compares or groups on some payload path (so personal paths matter). */
export function comparesPayload(query: QueryNode): boolean {
  return comparedFields(query).length > 0;
}

/** The personal paths recorded for an instance. */
export async function personalPathsOf(kv: KeyValueStore, instanceId: string): Promise<string[]> {
  const stored = await kv.get(PERSONAL_PATHS_NAMESPACE, instanceId);
  const value = stored?.value;
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/** Records personal paths of an instance (merged with those recorded; compare-and-set). */
export async function recordPersonalPaths(
  kv: KeyValueStore,
  instanceId: string,
  paths: Iterable<string>,
): Promise<string[]> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const stored = await kv.get(PERSONAL_PATHS_NAMESPACE, instanceId);
    const known = new Set(Array.isArray(stored?.value) ? (stored.value as string[]) : []);
    const before = known.size;
    for (const p of paths) known.add(p);
    const all = [...known].sort();
    if (known.size === before) return all;
    try {
      await kv.put(PERSONAL_PATHS_NAMESPACE, instanceId, all, { expectedVersion: stored?.version ?? null });
      return all;
    } catch (error) {
      if (!(EventLogError.isInstance(error) && error.code === 'CONFLICT')) throw error;
    }
  }
  throw storageError(
    'Could not record the personal paths of the instance (too many concurrent writers); try again.',
  );
}

/**
 * Destroys a subject's key: their encrypted values can never be read again. True when there was
 * a key.
 */
export async function destroySubjectKey(kv: KeyValueStore, subject: string): Promise<boolean> {
  return kv.delete(SUBJECT_KEY_NAMESPACE, subject);
}
