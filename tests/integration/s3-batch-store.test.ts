import { randomUUID } from 'node:crypto';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { s3BatchStore } from '../../src/aws/s3-batch-store';
import { parseS3Notification } from '../../src/aws/s3-notification';
import type { BatchStore } from '../../src/core/ports';
import { asAwsS3Event, startS3rver, type TestS3 } from '../helpers/s3rver';

/**
 * The S3 BatchStore through the real SDK v3 against a real S3-compatible server (s3rver). s3rver ignores
 * `If-None-Match: *` on PUT, so the server here applies S3's documented rule in front of it
 * (tests/helpers/s3rver-process.cjs); the first test shows s3rver alone would overwrite.
 */
let s3: TestS3;
let client: S3Client;
let store: BatchStore;

beforeAll(async () => {
  s3 = await startS3rver({ conditionalWrites: true });
  client = s3.client();
  store = s3BatchStore(client, s3.bucket, { conflictRetryDelaysMs: [5, 10, 20] });
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

const key = (name = randomUUID()) => `batches/${name}.json.gz`;

describe('s3BatchStore', () => {
  it('s3rver on its own overwrites despite If-None-Match: * (why the test server adds S3’s rule)', async () => {
    const plain = await startS3rver();
    const plainClient = plain.client();
    try {
      const plainStore = s3BatchStore(plainClient, plain.bucket);
      const k = key();
      expect(await plainStore.putIfAbsent(k, Buffer.from('first'))).toBe('created');
      expect(await plainStore.putIfAbsent(k, Buffer.from('second'))).toBe('created');
      expect((await plainStore.get(k)).body.toString()).toBe('second');
    } finally {
      plainClient.destroy();
      await plain.stop();
    }
  });

  it('stores a batch and reads back the same bytes with the time S3 recorded', async () => {
    const k = key();
    const body = Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0xff, 0x00, 0x7f, 0x80]);
    const before = Date.now();
    expect(await store.putIfAbsent(k, body)).toBe('created');
    const stored = await store.get(k);
    expect(stored.body.equals(body)).toBe(true);
    // S3 keeps Last-Modified to the second.
    expect(stored.storedAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(stored.storedAt.getTime()).toBeLessThanOrEqual(Date.now());
  });

  it('lets the first writer win: a second put of the key reports exists and changes nothing', async () => {
    const k = key();
    expect(await store.putIfAbsent(k, Buffer.from('first'))).toBe('created');
    expect(await store.putIfAbsent(k, Buffer.from('second'))).toBe('exists');
    expect((await store.get(k)).body.toString()).toBe('first');
  });

  it('creates a key exactly once when several writers race for it', async () => {
    const k = key();
    const bodies = Array.from({ length: 6 }, (_, i) => Buffer.from(`writer ${i}`));
    const outcomes = await Promise.all(bodies.map((body) => store.putIfAbsent(k, body)));
    expect(outcomes.filter((outcome) => outcome === 'created')).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome === 'exists')).toHaveLength(5);
    const winner = bodies[outcomes.indexOf('created')] as Buffer;
    expect((await store.get(k)).body.equals(winner)).toBe(true);
  });

  it('retries a 409 ConditionalRequestConflict, as S3 advises, and then gets the true answer', async () => {
    const fresh = key();
    await s3.failNextPuts(1, 409, 'ConditionalRequestConflict');
    expect(await store.putIfAbsent(fresh, Buffer.from('after a conflict'))).toBe('created');

    await s3.failNextPuts(2, 409, 'ConditionalRequestConflict');
    expect(await store.putIfAbsent(fresh, Buffer.from('again'))).toBe('exists');
    expect((await store.get(fresh)).body.toString()).toBe('after a conflict');
  });

  it('throws when conflicts persist or S3 fails, so the webhook answers 5xx and SparkPost retries', async () => {
    await s3.failNextPuts(4, 409, 'ConditionalRequestConflict');
    await expect(store.putIfAbsent(key(), Buffer.from('x'))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 409 },
    });
    await s3.failNextPuts(1, 503, 'ServiceUnavailable');
    await expect(store.putIfAbsent(key(), Buffer.from('x'))).rejects.toMatchObject({
      $metadata: { httpStatusCode: 503 },
    });
  });

  it('rejects reading a key that is not there', async () => {
    await expect(store.get(key())).rejects.toMatchObject({ name: 'NoSuchKey' });
  });

  it('lists every key under a prefix, across pages, and nothing outside it', async () => {
    const prefix = `batches/list-${randomUUID()}/`;
    const keys = Array.from({ length: 5 }, (_, i) => `${prefix}${i}.json.gz`);
    for (const k of keys) await store.putIfAbsent(k, Buffer.from(k));
    await store.putIfAbsent(`other/${randomUUID()}.json.gz`, Buffer.from('elsewhere'));
    const paged = s3BatchStore(client, s3.bucket, { listPageSize: 2 });
    const listed: string[] = [];
    for await (const k of paged.list(prefix)) listed.push(k);
    expect(listed.sort()).toEqual(keys);
  });
});

describe('S3 events', () => {
  it('an object written to the bucket emits ObjectCreated naming its key, once per write', async () => {
    const k = key();
    await store.putIfAbsent(k, Buffer.from('x'));
    await store.putIfAbsent(k, Buffer.from('refused'));
    const next = key();
    await store.putIfAbsent(next, Buffer.from('y'));
    const event = await s3.waitForEvent(k);
    expect(event.Records).toHaveLength(1);
    expect(event.Records[0]).toMatchObject({
      eventSource: 'aws:s3',
      eventName: 'ObjectCreated:Put',
      s3: { bucket: { name: s3.bucket }, object: { key: k } },
    });
    // In an SQS message (the bucket notifies LoadQueue), the body is this event as JSON.
    expect(parseS3Notification(JSON.stringify(asAwsS3Event(event)))).toEqual({ kind: 'objects', keys: [k] });
    // Events keep s3rver's order: once the next write's event is here, a refused write's would be too.
    await s3.waitForEvent(next);
    const forKey = s3.events.filter((e) => e.Records.some((record) => record.s3.object.key === k));
    expect(forKey).toHaveLength(1);
  });

  it('the loader decodes keys the way real S3 encodes them (s3rver sends them raw)', async () => {
    const odd = 'batches/a b+c=d&é.json.gz';
    await client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: odd, Body: Buffer.from('x') }));
    const event = await s3.waitForEvent(odd);
    const keys = (body: unknown) => parseS3Notification(JSON.stringify(body));
    expect(keys(asAwsS3Event(event))).toEqual({ kind: 'objects', keys: [odd] });
    // Fed s3rver's raw key, the decoding meant for real S3 turns its `+` into a space.
    expect(keys(event)).toEqual({ kind: 'objects', keys: ['batches/a b c=d&é.json.gz'] });
  });
});
