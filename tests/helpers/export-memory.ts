import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createApp } from '../../src/app';
import { createEventReader } from '../../src/db/event-reader';
import { createDb } from '../../src/db/pool';
import { silentLogger } from '../../src/logger';

/**
 * A child process of export-scale.test.ts: the export of `argv[3]` (a query string) on the database
 * `argv[2]`, through the app's route as the server serves it, its body written to a sink that takes it
 * with backpressure. Memory is sampled in this process only (the test's own heap would blur it): the
 * baseline after a warm-up export, then the peak RSS and heap during the big one. Prints one JSON line:
 * the body's lines (newline bytes; not meaningful when gzipped) and bytes, the growths. The peak counts
 * the garbage V8 lets pile up before it collects (it grows old space to a few times what is alive);
 * `retained` mode (argv[5]) collects every 20 parts and reports the largest heap still alive above the
 * baseline: what the export itself holds.
 */
const KEY = 'export-memory-key';

async function main(): Promise<void> {
  const [connectionString, rawQuery = '', acceptEncoding = '', mode = 'peak'] = process.argv.slice(2);
  const db = createDb({ connectionString, poolMax: 2, statementTimeoutMs: 60_000, ssl: false }, silentLogger);
  const app = createApp({
    logger: silentLogger,
    query: { reader: createEventReader(db), now: Date.now, auth: { disabled: false, apiKeys: [KEY] } },
  });
  const exportBody = async (query: string, onPart: (part: Buffer) => void) => {
    const response = await app({
      method: 'GET',
      path: '/api/v1/events/message/export',
      rawQuery: query,
      headers: { authorization: KEY, ...(acceptEncoding ? { 'accept-encoding': acceptEncoding } : {}) },
      body: Buffer.alloc(0),
    });
    if (!response.stream) throw new Error(`no streamed body: ${response.statusCode} ${response.body}`);
    const sink = new Writable({
      highWaterMark: 64 * 1024,
      write(part: Buffer, _encoding, done) {
        onPart(part);
        // A slow reader: the next part comes a tick later, so that backpressure is what paces it.
        setImmediate(done);
      },
    });
    await pipeline(response.stream, sink);
    return response.headers;
  };

  // Warm-up: modules, the dictionary cache, the pool's connections.
  await exportBody(`${rawQuery}&events=bounce`, () => undefined);
  global.gc?.();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakHeap = baseline.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const timer = setInterval(sample, 20);
  let bytes = 0;
  let lines = 0;
  let last = 0;
  let parts = 0;
  let retained = 0;
  const headers = await exportBody(rawQuery, (part) => {
    bytes += part.length;
    parts += 1;
    if (mode === 'retained' && parts % 20 === 0 && global.gc) {
      // What stays alive (garbage collected first): the export must hold no more as it goes on.
      global.gc();
      retained = Math.max(retained, process.memoryUsage().heapUsed - baseline.heapUsed);
    }
    sample();
    // Counted in place: the probe itself must make next to no garbage (it would blur the figures).
    for (let at = part.indexOf(10); at !== -1; at = part.indexOf(10, at + 1)) lines += 1;
    last = part.at(-1) ?? 0;
  });
  clearInterval(timer);
  sample();
  await db.end();
  process.stdout.write(
    `${JSON.stringify({
      lines,
      bytes,
      endsWithNewline: last === 10,
      contentEncoding: headers['content-encoding'] ?? null,
      rssGrowth: peakRss - baseline.rss,
      heapGrowth: peakHeap - baseline.heapUsed,
      retainedGrowth: mode === 'retained' ? retained : null,
    })}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
