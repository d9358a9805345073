/**
 * A child process of bench/run.ts: one way of reading every event of a window, measured in a process of
 * its own so that the benchmark's heap does not blur the memory figures. `argv`: the database URL, the
 * mode, the Events API query string (the window), and for the export an Accept-Encoding.
 *
 * - `export`: GET /api/v1/events/message/export through the app, as the local server serves it, the
 *   body taken by a sink as fast as it comes (with backpressure);
 * - `paging`: GET /api/v1/events/message with per_page=10000, following links.next to the end, each
 *   page's JSON taken whole (what a client walking the cursor receives).
 *
 * After a warm-up (a small read of each kind), it prints one JSON line: events, bytes, pages, ms, and the
 * peak RSS and heap above the baseline, sampled every 20 ms and at every part.
 */
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createApp } from '../src/app';
import { EVENTS_API_EXPORT_PATH, EVENTS_API_PATH } from '../src/core/paths';
import { createEventReader } from '../src/db/event-reader';
import { createDb } from '../src/db/pool';
import { silentLogger } from '../src/logger';

const KEY = 'bench-export-key';

async function main(): Promise<void> {
  const [connectionString, mode, window = '', acceptEncoding = ''] = process.argv.slice(2);
  if (mode !== 'export' && mode !== 'paging') throw new Error(`unknown mode ${mode}`);
  const db = createDb({ connectionString, poolMax: 2, statementTimeoutMs: 0, ssl: false }, silentLogger);
  const app = createApp({
    logger: silentLogger,
    query: { reader: createEventReader(db), now: Date.now, auth: { disabled: false, apiKeys: [KEY] } },
  });
  const get = (path: string, rawQuery: string) =>
    app({
      method: 'GET',
      path,
      rawQuery,
      headers: { authorization: KEY, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
      body: Buffer.alloc(0),
    });

  let peakRss = 0;
  let peakHeap = 0;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };

  const exportAll = async (rawQuery: string) => {
    const response = await get(EVENTS_API_EXPORT_PATH, rawQuery);
    if (!response.stream) throw new Error(`export answered ${response.statusCode}: ${response.body}`);
    let bytes = 0;
    let events = 0;
    const sink = new Writable({
      write(part: Buffer, _encoding, done) {
        bytes += part.length;
        for (let at = part.indexOf(10); at !== -1; at = part.indexOf(10, at + 1)) events += 1;
        sample();
        done();
      },
    });
    await pipeline(response.stream, sink);
    return { events, bytes, pages: 1 };
  };

  const pageAll = async (rawQuery: string) => {
    let bytes = 0;
    let events = 0;
    let pages = 0;
    let next: string | undefined = `${EVENTS_API_PATH}?${rawQuery}&per_page=10000`;
    while (next) {
      const question = next.indexOf('?');
      const response = await get(next.slice(0, question), next.slice(question + 1));
      if (response.statusCode !== 200)
        throw new Error(`search answered ${response.statusCode}: ${response.body}`);
      bytes += Buffer.byteLength(response.body);
      const page = JSON.parse(response.body) as { results: unknown[]; links: { next?: string } };
      events += page.results.length;
      pages += 1;
      next = page.links.next;
      sample();
    }
    return { events, bytes, pages };
  };

  const run = mode === 'export' ? exportAll : pageAll;
  await run(`${window}&events=bounce`);
  global.gc?.();
  const baseline = process.memoryUsage();
  peakRss = baseline.rss;
  peakHeap = baseline.heapUsed;
  const timer = setInterval(sample, 20);
  const started = performance.now();
  const result = await run(window);
  const ms = performance.now() - started;
  clearInterval(timer);
  sample();
  await db.end();
  process.stdout.write(
    `${JSON.stringify({
      ...result,
      ms,
      rssGrowth: peakRss - baseline.rss,
      heapGrowth: peakHeap - baseline.heapUsed,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
