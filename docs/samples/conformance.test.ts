// #region conformance
import { describeAdapter } from '@eventlog/conformance';
import { memoryAdapter } from '@eventlog/memory';

describeAdapter({ name: 'memory, from the docs', create: () => memoryAdapter() });
// #endregion conformance
