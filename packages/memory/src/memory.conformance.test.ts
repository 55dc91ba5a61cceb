/**
 * The memory adapter runs the whole conformance suite.
 */

import { describeAdapter } from '@eventlog/conformance';
import { memoryAdapter } from './index.js';

describeAdapter({ name: 'memory', create: () => memoryAdapter() });
