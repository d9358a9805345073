// Bundles the Lambda functions of template.yaml with esbuild: the one bundling code `npm run build` and
// `sam build` share. `sam build` runs the Makefile (each function has `Metadata: BuildMethod: makefile`),
// whose target installs the lock file's versions in a throwaway folder and calls this script with
// `--function <LogicalId>`; `npm run build` calls it without, for every function.
//
//   node scripts/build.mjs [--outdir <folder>]                  every function, into <folder>/<LogicalId>/ (default dist)
//   node scripts/build.mjs --function <LogicalId> --outdir <d>  one function, into <d> itself (SAM's ARTIFACTS_DIR)
//
// A function's entry is the file its Handler names (`<entry>.handler` → src/handlers/<entry>.ts), and
// esbuild writes <entry>.js at the root of the bundle, where Lambda finds the handler.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'esbuild';
import { parse } from 'yaml';

const { values } = parseArgs({
  options: { outdir: { type: 'string' }, function: { type: 'string' } },
});

/** The same settings for every function (what SAM's esbuild defaults were, made explicit). */
const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  metafile: true,
  logLevel: 'warning',
};

// CloudFormation's short tags (!Ref, !Sub…) do not matter here: only Metadata and Handler are read.
const template = parse(await readFile('template.yaml', 'utf8'), { logLevel: 'silent' });

const functions = Object.entries(template.Resources).filter(
  ([, resource]) =>
    resource.Type === 'AWS::Serverless::Function' && resource.Metadata?.BuildMethod === 'makefile',
);
if (functions.length === 0) throw new Error('template.yaml has no function built by the Makefile');

/** The entry file of a function: the file part of its Handler, under src/handlers/. */
function entryPoint(resource) {
  const [file] = String(resource.Properties.Handler).split('.');
  return `src/handlers/${file}.ts`;
}

async function bundle(logicalId, resource, outdir) {
  const result = await build({ ...ESBUILD_OPTIONS, entryPoints: [entryPoint(resource)], outdir });
  const bytes = Object.entries(result.metafile.outputs)
    .filter(([file]) => file.endsWith('.js'))
    .reduce((sum, [, output]) => sum + output.bytes, 0);
  return `${logicalId}  ${outdir}  ${resource.Properties.Handler}  ${(bytes / 1024).toFixed(0)} KiB`;
}

if (values.function !== undefined) {
  const found = functions.find(([logicalId]) => logicalId === values.function);
  if (!found) throw new Error(`template.yaml has no function ${values.function} built by the Makefile`);
  if (values.outdir === undefined) throw new Error('--function needs --outdir (SAM passes ARTIFACTS_DIR)');
  console.log(await bundle(found[0], found[1], values.outdir));
} else {
  const outRoot = values.outdir ?? 'dist';
  await rm(outRoot, { recursive: true, force: true });
  const built = await Promise.all(
    functions.map(([logicalId, resource]) => bundle(logicalId, resource, join(outRoot, logicalId))),
  );
  console.log(built.join('\n'));
}
