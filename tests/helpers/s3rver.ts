import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { HeadBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { S3Event } from 'aws-lambda';

/**
 * A real S3-compatible server for the tests: npm `s3rver`, run in a child process (see
 * s3rver-process.cjs for why), with an SDK v3 client set up as DESIGN.md says it needs.
 */
export interface TestS3 {
  readonly endpoint: string;
  readonly bucket: string;
  /** An S3 client for this server; `maxAttempts` 1 unless asked, so failures show at once. */
  client(options?: { maxAttempts?: number }): S3Client;
  /** The S3 events s3rver emitted so far, as it emitted them (keys not URL-encoded). */
  readonly events: readonly S3Event[];
  /**
   * Resolves with the first event (in arrival order) whose object key is `key`; rejects after
   * `timeoutMs`. Events come over IPC in the order s3rver emitted them, which may be after the PUT's
   * HTTP answer, so tests wait for them by key rather than count them.
   */
  waitForEvent(key: string, timeoutMs?: number): Promise<S3Event>;
  /** The next `count` object PUTs fail with this HTTP status and S3 error code. */
  failNextPuts(count: number, status: number, code: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartS3Options {
  readonly bucket?: string;
  /** Apply real S3's `If-None-Match: *` rule (412 when the key exists), which s3rver alone ignores. */
  readonly conditionalWrites?: boolean;
}

export async function startS3rver(options: StartS3Options = {}): Promise<TestS3> {
  const bucket = options.bucket ?? 'raw-batches';
  const child: ChildProcess = fork(join(__dirname, 's3rver-process.cjs'), [], {
    execArgv: ['--openssl-legacy-provider', '--no-deprecation'],
    env: {
      ...process.env,
      S3RVER_OPTIONS: JSON.stringify({ buckets: [bucket], conditionalWrites: options.conditionalWrites }),
    },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

  const events: S3Event[] = [];
  const eventWaiters = new Set<() => void>();
  const acks = new Map<number, () => void>();
  let nextId = 1;

  const port = await new Promise<number>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`s3rver exited with ${code} before it was ready`)));
    type Message = { type: string; port?: number; event?: S3Event; id?: number; message?: string };
    child.on('message', (message: Message) => {
      if (message.type === 'ready') resolve(message.port as number);
      else if (message.type === 'error') reject(new Error(`s3rver failed to start: ${message.message}`));
      else if (message.type === 'event') {
        events.push(message.event as S3Event);
        for (const wake of eventWaiters) wake();
      } else if (message.type === 'ack') acks.get(message.id as number)?.();
    });
  });
  const endpoint = `http://127.0.0.1:${port}`;

  const request = (message: Record<string, unknown>) =>
    new Promise<void>((resolve) => {
      const id = nextId++;
      acks.set(id, () => {
        acks.delete(id);
        resolve();
      });
      child.send({ ...message, id });
    });

  const testS3: TestS3 = {
    endpoint,
    bucket,
    client: ({ maxAttempts = 1 } = {}) =>
      new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
        maxAttempts,
      }),
    events,
    waitForEvent(key, timeoutMs = 5000) {
      const find = () => events.find((event) => event.Records.some((record) => record.s3.object.key === key));
      const found = find();
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          eventWaiters.delete(check);
          reject(new Error(`no S3 event for ${key} within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          const event = find();
          if (!event) return;
          clearTimeout(timer);
          eventWaiters.delete(check);
          resolve(event);
        };
        eventWaiters.add(check);
      });
    },
    failNextPuts: (count, status, code) => request({ type: 'fail-puts', count, status, code }),
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.send({ type: 'stop' });
      }),
  };
  // The bucket exists and the client settings work, before any test relies on them.
  await testS3
    .client()
    .send(new HeadBucketCommand({ Bucket: bucket }))
    .catch((error: unknown) => {
      child.kill();
      throw error;
    });
  return testS3;
}

/**
 * The S3 event real S3 would send for an s3rver event: real S3 URL-encodes object keys in notifications
 * (a space becomes `+`), s3rver passes them raw. Feeding the loader the AWS form tests its decoding.
 */
export function asAwsS3Event(event: S3Event): S3Event {
  return {
    Records: event.Records.map((record) => ({
      ...record,
      s3: {
        ...record.s3,
        object: { ...record.s3.object, key: encodeS3EventKey(record.s3.object.key) },
      },
    })),
  };
}

/** S3's notification encoding: form-style URL encoding (space as `+`), `/` kept. */
function encodeS3EventKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}
