import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MIGRATIONS } from '../../src/db/migrations';
import { PAGE_SCRIPT_HASH, PAGE_STYLE_HASH } from '../../src/page/bundle';
import { loadTemplate, ROOT, serverlessFunctions } from '../helpers/cfn-template';

/**
 * `npm run build` (scripts/build.mjs) bundles every function of template.yaml with the esbuild settings
 * of its Metadata, into the layout `sam build` produces; each bundle must load and export its handler.
 */
const run = promisify(execFile);
const functions = serverlessFunctions(loadTemplate());
let outdir: string;

beforeAll(async () => {
  outdir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-build-'));
  await run(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--outdir', outdir], { cwd: ROOT });
});
afterAll(async () => {
  await rm(outdir, { recursive: true, force: true });
});

describe('npm run build', () => {
  it.each(functions.map(([id, fn]) => [id, fn.Properties.Handler as string]))(
    '%s: a bundle where its Handler %s finds an exported function',
    async (id, handler) => {
      const [file, exported] = handler.split('.') as [string, string];
      const bundle = join(outdir, id, `${file}.js`);
      expect(existsSync(bundle)).toBe(true);
      expect(existsSync(`${bundle}.map`)).toBe(true);
      // The bundle is self-contained: it loads in a bare node with no node_modules beside it.
      const module = require(bundle) as Record<string, unknown>;
      expect(typeof module[exported]).toBe('function');
    },
  );

  it('embeds the lookup page, script and style, in the QueryEventsFunction bundle that serves /', async () => {
    const bundle = await readFile(join(outdir, 'QueryEventsFunction', 'query-events.js'), 'utf8');
    expect(bundle).toContain(PAGE_SCRIPT_HASH);
    expect(bundle).toContain(PAGE_STYLE_HASH);
    expect(bundle).toContain('<h1>Message lookup</h1>');
  });

  it('embeds every SQL migration in the MigrateFunction bundle (sam build copies no files)', async () => {
    const bundle = await readFile(join(outdir, 'MigrateFunction', 'migrate.js'), 'utf8');
    for (const migration of MIGRATIONS) {
      const firstStatement = migration.sql
        .split('\n')
        .find((line) => /^(CREATE|ALTER) /.test(line)) as string;
      expect(bundle).toContain(JSON.stringify(firstStatement).slice(1, -1));
    }
  });
});

describe('migrations compiled into the code (src/db/migrations.ts, generated from sql/)', () => {
  it('are what `npm run build:sql` makes of sql/ today: a forgotten regeneration fails here', async () => {
    await expect(
      run(process.execPath, [join(ROOT, 'scripts', 'build-sql.mjs'), '--check'], { cwd: ROOT }),
    ).resolves.toBeDefined();
  });

  it('list every file in sql/, in order', async () => {
    const files = (await readdir(join(ROOT, 'sql'))).filter((name) => name.endsWith('.sql')).sort();
    expect(MIGRATIONS.map((migration) => `${migration.version}.sql`)).toEqual(files);
  });
});
