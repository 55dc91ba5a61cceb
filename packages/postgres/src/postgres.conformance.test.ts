/**
 * The PostgreSQL adapter runs the whole conformance suite, differential tests included, on a
 * schema of its own that is dropped afterwards.
 */

import { describeAdapter } from '@eventlog/conformance';
import { liveEvents, liveQuery, projection } from '@eventlog/rx';
import { postgresAdapter } from './index.js';
import { describePostgres, dropSchema, uniqueSchema } from './test/pg-env.js';

describePostgres('postgres conformance', (url) => {
  const schema = uniqueSchema('el_conformance');
  describeAdapter({
    name: 'postgres',
    create: () => postgresAdapter({ url, schema }),
    rx: { liveEvents, liveQuery, projection },
    teardown: () => dropSchema(url, schema),
  });
});
