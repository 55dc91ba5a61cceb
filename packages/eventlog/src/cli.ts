#!/usr/bin/env node
/**
 * The `eventlog` bin: see `cli/program.ts` and the package README.
 */

import { main } from './cli/program.js';

await main();
