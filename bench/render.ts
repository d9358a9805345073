/**
 * Renders docs/BENCHMARKS.md and the chart again from a run's measurements (`npm run bench -- --json
 * <file>`), e.g. after a change to the report's layout: `npx tsx bench/render.ts <file> [md] [svg]`.
 * No figure is computed here that the run did not measure.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { chartSvg, markdown, reportFromJson } from './report';

async function main(): Promise<void> {
  const [file, out = 'docs/BENCHMARKS.md', svg = 'docs/benchmarks.svg'] = process.argv.slice(2);
  if (!file) throw new Error('usage: tsx bench/render.ts <measurements.json> [markdown] [svg]');
  const report = reportFromJson(await readFile(file, 'utf8'));
  const root = resolve(__dirname, '..');
  const outPath = resolve(root, out);
  const svgPath = resolve(root, svg);
  await writeFile(outPath, `${markdown(report, true, relative(dirname(outPath), svgPath))}\n`);
  await writeFile(svgPath, chartSvg(report));
  process.stderr.write(`wrote ${outPath} and ${svgPath}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`render failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
