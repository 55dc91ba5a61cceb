// After `pnpm build`: every package's exports["."] must resolve to an ES module (SPEC §2), and the
// pinned names must be there. Imports each built entry the way Node does, without the source
// condition.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const pinned = {
  core: ['createEventLog', 'EventLogError', 'aggregateStream', 'handleCommand', 'decide'],
  memory: ['memoryAdapter'],
  sqlite: ['sqliteAdapter'],
  postgres: ['postgresAdapter'],
  sql: ['createQueryCompiler'],
  conformance: ['describeAdapter'],
  'test-support': ['describePostgres', 'usePostgres'],
  rx: ['liveEvents', 'liveQuery', 'projection'],
  testing: ['deciderSpec', 'runProjection'],
  client: ['connect'],
  eventlog: ['openEventLog', 'createEventLogServer'],
};
let failed = false;
for (const [dir, names] of Object.entries(pinned)) {
  const root = join(import.meta.dirname, '..', 'packages', dir);
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['.']?.import ?? pkg.exports?.['.']?.default;
  try {
    const mod = await import(pathToFileURL(join(root, entry)).href);
    const missing = names.filter((n) => !(n in mod));
    if (missing.length > 0) throw new Error(`missing exports: ${missing.join(', ')}`);
    console.log(`ok   ${pkg.name} → ${entry}`);
  } catch (error) {
    failed = true;
    console.error(`FAIL ${pkg.name} → ${entry}: ${error.message}`);
  }
}
// `@eventlog/core/model`: the model alone, for browser code — a module that imports nothing.
{
  const root = join(import.meta.dirname, '..', 'packages', 'core');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const entry = pkg.exports?.['./model']?.default;
  try {
    const file = join(root, entry);
    if (/^\s*(import|export .* from)\b/m.test(readFileSync(file, 'utf8'))) {
      throw new Error('it imports other modules; it must stand alone (browsers load it)');
    }
    const mod = await import(pathToFileURL(file).href);
    if (!('ERROR_CODES' in mod)) throw new Error('missing exports: ERROR_CODES');
    console.log(`ok   ${pkg.name}/model → ${entry}`);
  } catch (error) {
    failed = true;
    console.error(`FAIL ${pkg.name}/model → ${entry}: ${error.message}`);
  }
}
process.exit(failed ? 1 : 0);
