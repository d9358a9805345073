// An S3-compatible server (npm `s3rver`) in a child process, for tests/helpers/s3rver.ts.
//
// Why a child process: s3rver's list continuation tokens use a cipher that OpenSSL 3 only offers with
// `--openssl-legacy-provider`, a flag that must be given when node starts, so it cannot be set from inside
// a running jest worker. The parent talks to this process over IPC: it receives `ready` (the port) and
// every S3 event s3rver emits, and can ask for injected failures.
//
// s3rver ignores `If-None-Match: *` on PUT and overwrites the object; real S3 answers 412 Precondition
// Failed. With `conditionalWrites`, a middleware in front of s3rver applies S3's documented rule (checked
// and written under a per-key lock, so concurrent conditional PUTs of one key behave like S3's).
'use strict';

const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const S3rver = require('s3rver');

const options = JSON.parse(process.env.S3RVER_OPTIONS ?? '{}');
const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory,
  configureBuckets: (options.buckets ?? []).map((name) => ({ name })),
});

/** Failures to inject into the next PUTs: `{ status, code, count }`. */
let putFailures = [];
const keyLocks = new Map();

function s3Error(ctx, status, code, message, extra = '') {
  ctx.status = status;
  ctx.type = 'application/xml';
  ctx.body =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<Error><Code>${code}</Code><Message>${message}</Message>${extra}<RequestId>s3rver-test</RequestId></Error>`;
}

/** Runs `work` after every earlier holder of `key` has finished. */
async function withKeyLock(key, work) {
  const previous = keyLocks.get(key) ?? Promise.resolve();
  let release;
  const current = new Promise((resolve) => {
    release = resolve;
  });
  keyLocks.set(key, current);
  await previous;
  try {
    return await work();
  } finally {
    release();
    if (keyLocks.get(key) === current) keyLocks.delete(key);
  }
}

server.middleware.unshift(async (ctx, next) => {
  const isObjectPut =
    ctx.method === 'PUT' &&
    !ctx.get('x-amz-copy-source') &&
    !('uploadId' in ctx.query) &&
    ctx.path.split('/').length > 2;
  if (!isObjectPut) return next();

  const failure = putFailures[0];
  if (failure) {
    failure.count -= 1;
    if (failure.count <= 0) putFailures.shift();
    ctx.req.resume();
    return s3Error(ctx, failure.status, failure.code, 'Injected by the test');
  }

  const condition = ctx.get('if-none-match');
  if (!condition || !options.conditionalWrites) return next();
  if (condition !== '*') {
    ctx.req.resume();
    return s3Error(ctx, 501, 'NotImplemented', 'If-None-Match on PUT accepts only *');
  }
  const [, bucket, ...keyParts] = ctx.path.split('/');
  const key = decodeURIComponent(keyParts.join('/'));
  return withKeyLock(`${bucket}/${key}`, async () => {
    if (await server.store.existsObject(bucket, key)) {
      ctx.req.resume();
      return s3Error(
        ctx,
        412,
        'PreconditionFailed',
        'At least one of the pre-conditions you specified did not hold',
        '<Condition>If-None-Match</Condition>',
      );
    }
    return next();
  });
});

server.on('event', (event) => process.send?.({ type: 'event', event }));

process.on('message', (message) => {
  if (message.type === 'fail-puts') {
    putFailures.push({ status: message.status, code: message.code, count: message.count });
    process.send?.({ type: 'ack', id: message.id });
  } else if (message.type === 'clear-failures') {
    putFailures = [];
    process.send?.({ type: 'ack', id: message.id });
  } else if (message.type === 'stop') {
    stop();
  }
});

// The parent went away (test run aborted): do not linger.
process.on('disconnect', stop);

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  server
    .close()
    .catch(() => undefined)
    .finally(() => {
      rmSync(directory, { recursive: true, force: true });
      process.exit(0);
    });
}

server.run().then(
  ({ port }) => process.send?.({ type: 'ready', port }),
  (error) => {
    process.send?.({ type: 'error', message: String(error) });
    process.exit(1);
  },
);
