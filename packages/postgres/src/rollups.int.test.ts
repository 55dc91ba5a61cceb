/**
 * Rollups on PostgreSQL (statement-level triggers with transition tables): answered from the
 * rollup exactly as by the scan (issue 10), on a schema of its own.
 */

import { describeRollups } from '@eventlog/conformance';
import { describePostgres, usePostgres } from '@eventlog/test-support';
import { postgresAdapter } from './index.js';

describePostgres('postgres rollups', (url) => {
  const pg = usePostgres({ prefix: 'el_rollups' });
  describeRollups({
    name: 'postgres',
    create: () => postgresAdapter({ url, schema: pg.schema }),
    numRuns: 15,
  });
});
