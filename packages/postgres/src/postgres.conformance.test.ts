/**
 * The PostgreSQL adapter runs the whole conformance suite, differential tests included, on a
 * schema of its own that is dropped afterwards (by usePostgres, after the suite closed the adapter).
 */

import { describeAdapter } from '@eventlog/conformance';
import { liveEvents, liveQuery, projection } from '@eventlog/rx';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import { postgresAdapter } from './index.js';

describePostgres('postgres conformance', (url) => {
  const pg = usePostgres({ prefix: 'el_conformance' });
  describeAdapter({
    name: 'postgres',
    create: () => postgresAdapter({ url, schema: pg.schema }),
    rx: { liveEvents, liveQuery, projection },
  });
});
