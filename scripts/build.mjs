// Bundles every Lambda function of template.yaml with esbuild, reading each function's
// `Metadata: BuildMethod: esbuild` block, so `npm run build` ships what `sam build` ships, laid out the
// same way: dist/<LogicalId>/<entry>.js, where the function's Handler (`<entry>.handler`) finds it.
//
//   node scripts/build.mjs [--outdir <folder>]     (default: dist)
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { parse } from 'yaml';

const { values } = parseArgs({ options: { outdir: { type: 'string', default: 'dist' } } });
const outRoot = values.outdir;

// CloudFormation's short tags (!Ref, !Sub…) do not matter here: only Metadata and Handler are read.
const template = parse(await readFile('template.yaml', 'utf8'), { logLevel: 'silent' });

/** esbuild options from SAM's BuildProperties (the subset this template uses). */
function esbuildOptions(properties) {
  const loader = Object.fromEntries((properties.Loader ?? []).map((rule) => rule.split('=')));
  return {
    entryPoints: properties.EntryPoints,
    bundle: true,
    platform: 'node',
    target: properties.Target,
    format: properties.Format,
    minify: properties.Minify === true,
    sourcemap: properties.Sourcemap === true,
    loader,
    external: properties.External ?? [],
    metafile: true,
    logLevel: 'warning',
  };
}

const functions = Object.entries(template.Resources).filter(
  ([, resource]) =>
    resource.Type === 'AWS::Serverless::Function' && resource.Metadata?.BuildMethod === 'esbuild',
);
if (functions.length === 0) throw new Error('template.yaml has no esbuild function');

await rm(outRoot, { recursive: true, force: true });
const built = await Promise.all(
  functions.map(async ([logicalId, resource]) => {
    const outdir = join(outRoot, logicalId);
    const result = await build({ ...esbuildOptions(resource.Metadata.BuildProperties), outdir });
    const bytes = Object.entries(result.metafile.outputs)
      .filter(([file]) => file.endsWith('.js'))
      .reduce((sum, [, output]) => sum + output.bytes, 0);
    return `${outdir}  ${resource.Properties.Handler}  ${(bytes / 1024).toFixed(0)} KiB`;
  }),
);
console.log(built.join('\n'));
