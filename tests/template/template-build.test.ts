import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readlinkSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MIGRATIONS } from '../../src/db/migrations';
import { PAGE_SCRIPT_HASH, PAGE_STYLE_HASH } from '../../src/page/bundle';
import { loadTemplate, ROOT, serverlessFunctions } from '../helpers/cfn-template';

/**
 * `npm run build` (scripts/build.mjs) bundles every function of template.yaml into the layout `sam build`
 * produces; each bundle must load and export its handler. `sam build` itself runs the Makefile target
 * each function's Metadata names: run here exactly as SAM runs it, it must leave the checkout untouched.
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

/** Every file under `path` (symlinks not followed) with its size and modification time. */
function listing(path: string): string[] {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) return [`${path} -> ${readlinkSync(path)}`];
  if (!stat.isDirectory()) return [`${path} ${stat.size} ${stat.mtimeMs}`];
  return [
    `${path}/ ${stat.mtimeMs}`,
    ...readdirSync(path)
      .sort()
      .flatMap((name) => listing(join(path, name))),
  ];
}

/**
 * What a build could change in the checkout: git's view (tracked changes by content, untracked and
 * ignored paths), every untracked or ignored file by size and time, and the installed packages
 * (node_modules, here a link to a shared folder: its lock and top level by time).
 */
async function checkoutState(): Promise<string> {
  const git = (...args: string[]) => run('git', args, { cwd: ROOT, maxBuffer: 64 * 1024 * 1024 });
  const status = (await git('status', '--porcelain', '--ignored', '--untracked-files=all')).stdout;
  const diff = createHash('sha256')
    .update((await git('diff', 'HEAD', '--binary')).stdout)
    .digest('hex');
  const untracked = status
    .split('\n')
    .filter((line) => line.startsWith('?? ') || line.startsWith('!! '))
    .map((line) => line.slice(3).replace(/\/$/, ''))
    .filter((path) => path !== 'node_modules')
    .flatMap((path) => listing(join(ROOT, path)));
  const modules = join(ROOT, 'node_modules');
  const installed = [
    `${lstatSync(modules).isSymbolicLink() ? readlinkSync(modules) : 'folder'}`,
    `${statSync(modules).mtimeMs}`,
    `${statSync(join(modules, '.package-lock.json')).mtimeMs}`,
    ...readdirSync(modules)
      .sort()
      .map((name) => `${name} ${lstatSync(join(modules, name)).mtimeMs}`),
  ];
  return [status, diff, ...untracked, ...installed].join('\n');
}

describe('sam build: the Makefile target of each function, run as SAM runs it', () => {
  const built = functions.map(([id, fn]) => [id, fn.Properties.Handler as string] as const);
  let artifacts: string;
  let before: string;
  let after: string;

  // SAM's makefile workflow runs `make --makefile <CodeUri>/Makefile build-<LogicalId>` with
  // ARTIFACTS_DIR (absolute) in the environment, in the checkout when build_in_source is set; with
  // `parallel = true` the five run at once.
  beforeAll(async () => {
    artifacts = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-sam-build-'));
    before = await checkoutState();
    await Promise.all(
      built.map(([id]) =>
        run('make', ['--makefile', join(ROOT, 'Makefile'), `build-${id}`], {
          cwd: ROOT,
          env: { ...process.env, ARTIFACTS_DIR: join(artifacts, id) },
          maxBuffer: 16 * 1024 * 1024,
        }),
      ),
    );
    after = await checkoutState();
  }, 600_000);
  afterAll(async () => {
    await rm(artifacts, { recursive: true, force: true });
  });

  it("every function is built by the Makefile (not by SAM's own npm steps, which change the checkout)", () => {
    for (const [, fn] of functions) expect(fn.Metadata).toEqual({ BuildMethod: 'makefile' });
    // SAM looks for the Makefile in the function's CodeUri: the project root, for every function.
    expect(loadTemplate().Globals.Function.CodeUri).toBe('./');
    for (const [, fn] of functions) expect(fn.Properties.CodeUri).toBeUndefined();
  });

  it('leaves the checkout exactly as it was: files, git status, installed packages', () => {
    expect(before.length).toBeGreaterThan(0);
    expect(after).toBe(before);
  });

  it('the comparison would see a change: a new file in the checkout, as a build output would be', async () => {
    const probe = join(ROOT, `build-probe-${process.pid}`);
    mkdirSync(probe);
    try {
      writeFileSync(join(probe, 'out.js'), '');
      expect(await checkoutState()).not.toBe(after);
    } finally {
      rmSync(probe, { recursive: true, force: true });
    }
    expect(await checkoutState()).toBe(after);
  });

  it.each(built)('%s: ARTIFACTS_DIR holds the bundle its Handler %s finds', (id, handler) => {
    const [file, exported] = handler.split('.') as [string, string];
    const bundle = join(artifacts, id, `${file}.js`);
    expect(readdirSync(join(artifacts, id)).sort()).toEqual([`${file}.js`, `${file}.js.map`]);
    const module = require(bundle) as Record<string, unknown>;
    expect(typeof module[exported]).toBe('function');
  });

  it.each(built)(
    '%s: the same bundle as `npm run build` makes (lock file versions = installed ones)',
    async (id, handler) => {
      const [file] = handler.split('.') as [string];
      const fromSam = await readFile(join(artifacts, id, `${file}.js`));
      const fromNpm = await readFile(join(outdir, id, `${file}.js`));
      expect(fromSam.equals(fromNpm)).toBe(true);
    },
  );

  it('fails loudly without ARTIFACTS_DIR instead of writing somewhere in the checkout', async () => {
    const { ARTIFACTS_DIR: _unset, ...env } = process.env;
    await expect(
      run('make', ['--makefile', join(ROOT, 'Makefile'), 'build-MigrateFunction'], { cwd: ROOT, env }),
    ).rejects.toMatchObject({ stderr: expect.stringContaining('ARTIFACTS_DIR is not set') });
  });
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
