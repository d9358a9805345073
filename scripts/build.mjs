// Bundles each Lambda handler into dist/<function>/index.js with esbuild: the same settings as the
// `Metadata: BuildMethod: esbuild` blocks in template.yaml, so `npm run build` shows what `sam build` ships.
import { cp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const HANDLERS = 'src/handlers';
const SUPPORT = new Set(['api-gateway.ts', 'runtime.ts']);

await rm('dist', { recursive: true, force: true });
const handlers = (await readdir(HANDLERS)).filter((name) => name.endsWith('.ts') && !SUPPORT.has(name));
for (const file of handlers) {
  const name = file.replace(/\.ts$/, '');
  const outdir = join('dist', name);
  const result = await build({
    entryPoints: [join(HANDLERS, file)],
    outfile: join(outdir, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    minify: true,
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  });
  // The migrate function applies the numbered SQL files shipped beside it.
  if (name === 'migrate') await cp('sql', join(outdir, 'sql'), { recursive: true });
  const bytes = Object.values(result.metafile.outputs).reduce((sum, output) => sum + output.bytes, 0);
  console.log(`dist/${name}/index.js  ${(bytes / 1024).toFixed(0)} KiB`);
}
