// Compiles the migrations in sql/ (NNN_name.sql, applied in name order) into src/db/migrations.ts, the one
// module every runtime imports: Lambda bundles, the local service, the CLI, the tests and the benchmark.
// sql/ stays the source a DBA reads; the generated module is checked in, and a test fails when it is stale.
//
//   npm run build:sql            regenerate src/db/migrations.ts
//   node scripts/build-sql.mjs --check    exit 1 (and say so) when it is not what sql/ gives
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const target = join(root, 'src', 'db', 'migrations.ts');
const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });

const names = (await readdir(join(root, 'sql'))).filter((name) => /^\d+_.+\.sql$/.test(name)).sort();
const entries = await Promise.all(
  names.map(async (name) => {
    const sql = await readFile(join(root, 'sql', name), 'utf8');
    return `  { version: ${JSON.stringify(name.replace(/\.sql$/, ''))}, sql: ${JSON.stringify(sql)} },`;
  }),
);
const source = `// Generated from sql/ by \`npm run build:sql\` (scripts/build-sql.mjs). Do not edit: change sql/ and run it.
import type { Migration } from './migrate';

/** Every migration in sql/, in the order they apply. */
export const MIGRATIONS: readonly Migration[] = Object.freeze([
${entries.join('\n')}
]);
`;

if (values.check) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== source) {
    console.error('src/db/migrations.ts is stale: run `npm run build:sql` and commit the result');
    process.exit(1);
  }
} else {
  await writeFile(target, source);
  console.log(`src/db/migrations.ts: ${names.length} migration(s)`);
}
