/**
 * The memory adapter runs the whole conformance suite.
 */

import { describeAdapter } from '@eventlog/conformance';
import { liveEvents, liveQuery, projection } from '@eventlog/rx';
import { memoryAdapter } from './index.js';

describeAdapter({ name: 'memory', create: () => memoryAdapter(), rx: { liveEvents, liveQuery, projection } });
