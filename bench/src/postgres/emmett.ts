/**
 * Emmett on PostgreSQL (`@event-driven-io/emmett-postgresql`, pg through dumbo), with its defaults:
 * its schema migrated before measuring, its own pool, `emt_append_to_stream` per append.
 */

import type { EmmettPostgresModule } from '../emmett.js';
import type { BenchSide } from '../side.js';
import { QUERY_ARGS } from '../workload.js';

export async function openEmmettPostgres(emmett: EmmettPostgresModule, url: string): Promise<BenchSide> {
  const store = emmett.getPostgreSQLEventStore(url);
  await store.schema.migrate();
  type Events = Parameters<typeof store.appendToStream>[1];
  return {
    name: 'emmett',
    settings: 'the server default synchronous_commit (Emmett sets none); its default pg pool',
    async appendBatch(stream, events) {
      await store.appendToStream(stream, events as unknown as Events);
    },
    async appendOne(stream, event) {
      await store.appendToStream(stream, [event] as unknown as Events);
    },
    queries: {
      async readStream() {
        const result = await store.readStream(QUERY_ARGS.stream);
        return { returned: result.events.length, total: result.events.length };
      },
    },
    async close() {
      await store.close();
      // close() can leave pools open (see endPools); only Emmett uses pg here.
      await emmett.endPools(url);
    },
  };
}
