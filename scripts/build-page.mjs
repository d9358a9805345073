// Builds the lookup page (src/page/: index.html, style.css, main.ts and what it imports) into one HTML
// document with its script and style inline, and writes it with their CSP hashes to src/page/bundle.ts,
// the module the `/` route serves. Like src/db/migrations.ts it is generated and checked in, so that
// `npm start` (tsx, no build step) and the Lambda bundle serve the same bytes, with no esbuild at run time;
// a test fails when it is stale.
//
//   npm run build:page                       regenerate src/page/bundle.ts
//   node scripts/build-page.mjs --check      exit 1 (and say so) when it is not what src/page/ gives
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build, transform } from 'esbuild';

const root = resolve(import.meta.dirname, '..');
const pageDir = join(root, 'src', 'page');
const target = join(pageDir, 'bundle.ts');
const { values } = parseArgs({ options: { check: { type: 'boolean', default: false } } });

// Browsers of the last few years: every one the page is meant for runs ES2020 and these CSS features.
const BROWSERS = ['chrome100', 'firefox100', 'safari15', 'edge100'];

const script = await build({
  entryPoints: [join(pageDir, 'main.ts')],
  bundle: true,
  write: false,
  format: 'iife',
  platform: 'browser',
  target: BROWSERS,
  minify: true,
  legalComments: 'none',
  charset: 'utf8',
  logLevel: 'warning',
});
const js = script.outputFiles[0].text.trim();
const css = (
  await transform(await readFile(join(pageDir, 'style.css'), 'utf8'), {
    loader: 'css',
    minify: true,
    target: BROWSERS,
    charset: 'utf8',
  })
).code.trim();
// Inline, the script must not end its own element (esbuild escapes `</script` in strings; this checks).
if (/<\/script/i.test(js) || /<\/style/i.test(css))
  throw new Error('the inline script or style closes its element');

const html = await readFile(join(pageDir, 'index.html'), 'utf8');
const page = html.replace('/*STYLE*/', () => css).replace('/*SCRIPT*/', () => js);
if (page === html || page.includes('/*STYLE*/') || page.includes('/*SCRIPT*/')) {
  throw new Error('src/page/index.html must hold one /*STYLE*/ and one /*SCRIPT*/ placeholder');
}
const sha256 = (text) => `sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}`;

const source = `// Generated from src/page/ by \`npm run build:page\` (scripts/build-page.mjs). Do not edit: change
// src/page/ and run it.

/** The lookup page: one HTML document, its script and style inline. */
export const PAGE_HTML = ${JSON.stringify(page)};

/** CSP sources of the inline script and style (the only ones the page's policy allows). */
export const PAGE_SCRIPT_HASH = ${JSON.stringify(sha256(js))};
export const PAGE_STYLE_HASH = ${JSON.stringify(sha256(css))};
`;

if (values.check) {
  const current = await readFile(target, 'utf8').catch(() => '');
  if (current !== source) {
    console.error('src/page/bundle.ts is stale: run `npm run build:page` and commit the result');
    process.exit(1);
  }
} else {
  await writeFile(target, source);
  const kib = (text) => (Buffer.byteLength(text) / 1024).toFixed(1);
  const gzipped = (await import('node:zlib')).gzipSync(page).length;
  console.log(
    `src/page/bundle.ts: page ${kib(page)} KiB (script ${kib(js)} KiB, style ${kib(css)} KiB), ${(gzipped / 1024).toFixed(1)} KiB gzipped`,
  );
}
