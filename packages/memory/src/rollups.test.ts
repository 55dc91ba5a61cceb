/**
 * Rollups on the memory adapter: answered from the rollup exactly as by the scan (issue 10).
 */

import { describeRollups } from '@eventlog/conformance';
import { memoryAdapter } from './index.js';

describeRollups({ name: 'memory', create: () => memoryAdapter() });
