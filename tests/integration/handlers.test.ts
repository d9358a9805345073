import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context, SQSEvent } from 'aws-lambda';
import { parseS3Notification } from '../../src/aws/s3-notification';
import type { BatchStore } from '../../src/core/ports';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { createDb } from '../../src/db/pool';
import { createLoadBatchHandler } from '../../src/handlers/load-batch';
import { createQueryEventsHandler } from '../../src/handlers/query-events';
import { createReceiveWebhookHandler } from '../../src/handlers/receive-webhook';
import { dirBatchStore } from '../../src/local/dir-batch-store';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { type Element, fixture, inner, lambdaEvent } from '../helpers/fixtures';

/**
 * The Lambda handlers, driven by the sample events in events/ (the ones `sam local invoke` uses),
 * against a real PostgreSQL and a real store (a folder here; S3 is covered by the S3 adapter tests).
 */
let database: TestDatabase;
let dir: string;
let store: BatchStore;

beforeAll(async () => {
  database = await createTestDatabase();
  dir = await mkdtemp(join(tmpdir(), 'sparkpost-event-db-handlers-'));
  store = dirBatchStore(dir);
});
afterAll(async () => {
  await database.drop();
  await rm(dir, { recursive: true, force: true });
});

const webhookAuth = {
  disabled: false,
  basic: { username: 'sparkpost', password: 'change-me-webhook-password' },
};

describe('Lambda handlers with the events/ samples', () => {
  it('receive-webhook stores the batch, load-batch loads it, query-events finds it', async () => {
    const receive = createReceiveWebhookHandler({
      store,
      auth: webhookAuth,
      maxBatchBytes: 10 * 1024 * 1024,
      logger: silentLogger,
    });
    const webhookEvent = lambdaEvent<APIGatewayProxyEventV2>('receive-webhook.json');
    const received = await receive(webhookEvent);
    expect(received.statusCode).toBe(200);
    expect(JSON.parse(received.body as string)).toEqual({
      results: { batch_id: '032d330540298f54f0e8bcc1373f3cfd', stored: true },
    });

    // The SQS message sample carries the S3 notification of the object the webhook sample writes.
    const sqsEvent = lambdaEvent<SQSEvent>('load-batch.json');
    expect(parseS3Notification(sqsEvent.Records[0]?.body as string)).toEqual({
      kind: 'objects',
      keys: ['batches/032d330540298f54f0e8bcc1373f3cfd.json.gz'],
    });
    const load = createLoadBatchHandler({
      store,
      events: createEventStore(database.db),
      logger: silentLogger,
    });
    expect(await load(sqsEvent)).toEqual({ batchItemFailures: [] });
    const batch = () =>
      database.db.query('SELECT status, inserted_count, duplicate_count FROM batches WHERE batch_id = $1', [
        '032d330540298f54f0e8bcc1373f3cfd',
      ]);
    expect((await batch()).rows).toEqual([{ status: 'loaded', inserted_count: 5, duplicate_count: 0 }]);
    // SQS and S3 deliver at least once: the same message again changes nothing.
    expect(await load(sqsEvent)).toEqual({ batchItemFailures: [] });
    expect((await batch()).rows).toEqual([{ status: 'loaded', inserted_count: 5, duplicate_count: 0 }]);
    // S3's test message, sent when the notification is configured, is acknowledged.
    expect(await load(lambdaEvent<SQSEvent>('load-batch-s3-test-event.json'))).toEqual({
      batchItemFailures: [],
    });

    const query = createQueryEventsHandler({
      reader: createEventReader(database.db),
      now: Date.now,
      auth: { disabled: false, apiKeys: ['change-me-api-key'] },
      logger: silentLogger,
    });
    const answer = await query(lambdaEvent<APIGatewayProxyEventV2>('query-events.json'));
    expect(answer.statusCode).toBe(200);
    const body = JSON.parse(answer.body as string);
    const real = fixture<Element[]>('webhook-real-batch-2017.json').map(inner);
    const expected = real.filter((event) =>
      ['delivery', 'bounce', 'click', 'open'].includes(event.type as string),
    );
    expect(body.total_count).toBe(expected.length);
    expect(body.results.map((event: { event_id: string }) => event.event_id).sort()).toEqual(
      expected.map((event) => event.event_id).sort(),
    );
    expect(body.links).toEqual({});
  });

  it('receive-webhook answers the ping sample with 200 without storing it', async () => {
    const receive = createReceiveWebhookHandler({
      store,
      auth: webhookAuth,
      maxBatchBytes: 1024 * 1024,
      logger: silentLogger,
    });
    const result = await receive(lambdaEvent<APIGatewayProxyEventV2>('receive-webhook-ping.json'));
    expect(result.statusCode).toBe(200);
    const keys: string[] = [];
    for await (const key of store.list('batches/')) keys.push(key);
    expect(keys).not.toContain('batches/77c2b630-d712-11e4-9642-efc2723b99c1.json.gz');
  });

  it('receive-webhook decodes base64 bodies and refuses bad credentials with 401', async () => {
    const receive = createReceiveWebhookHandler({
      store,
      auth: webhookAuth,
      maxBatchBytes: 1024 * 1024,
      logger: silentLogger,
    });
    const sample = lambdaEvent<APIGatewayProxyEventV2>('receive-webhook.json');
    const encoded = {
      ...sample,
      body: Buffer.from(sample.body as string).toString('base64'),
      isBase64Encoded: true,
    };
    expect((await receive(encoded)).statusCode).toBe(200);
    const wrong = { ...sample, headers: { ...sample.headers, authorization: 'Basic c3Bhcmtwb3N0Ondyb25n' } };
    const refused = await receive(wrong);
    expect(refused.statusCode).toBe(401);
    expect(JSON.parse(refused.body as string).errors[0].message).toBe('Unauthorized.');
  });

  it("query-events answers what the $default route brings (unrouted paths, other methods) with SparkPost's 404/405", async () => {
    const query = createQueryEventsHandler({
      reader: createEventReader(database.db),
      now: Date.now,
      auth: { disabled: false, apiKeys: ['change-me-api-key'] },
      logger: silentLogger,
    });
    const sample = lambdaEvent<APIGatewayProxyEventV2>('query-events.json');
    const routed = (method: string, path: string) =>
      query({
        ...sample,
        routeKey: '$default',
        rawPath: path,
        rawQueryString: '',
        requestContext: {
          ...sample.requestContext,
          routeKey: '$default',
          http: { ...sample.requestContext.http, method, path },
        },
      });
    const wrongMethod = await routed('GET', '/webhook');
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.allow).toBe('POST');
    expect(JSON.parse(wrongMethod.body as string).errors[0]).toMatchObject({ code: '1102' });
    const unknown = await routed('GET', '/api/v1/transmissions');
    expect(unknown.statusCode).toBe(404);
    expect(JSON.parse(unknown.body as string).errors[0]).toMatchObject({ code: '1101' });
  });

  it('query-events answers bad parameters with 400 in SparkPost shape', async () => {
    const query = createQueryEventsHandler({
      reader: createEventReader(database.db),
      now: Date.now,
      auth: { disabled: false, apiKeys: ['change-me-api-key'] },
      logger: silentLogger,
    });
    const sample = lambdaEvent<APIGatewayProxyEventV2>('query-events.json');
    const result = await query({ ...sample, rawQueryString: 'per_page=20000' });
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body as string)).toEqual({
      errors: [{ message: 'Invalid per_page parameter', description: expect.any(String), code: '1200' }],
    });
  });
});

describe('load-batch: what returns to the queue', () => {
  const sample = () => lambdaEvent<SQSEvent>('load-batch.json');
  const testEvent = () => lambdaEvent<SQSEvent>('load-batch-s3-test-event.json');
  /** The sample's message with another id, naming another raw batch. */
  function messageFor(id: string, key: string): SQSEvent['Records'][number] {
    const [record] = sample().Records as [SQSEvent['Records'][number]];
    const body = JSON.parse(record.body);
    body.Records[0].s3.object.key = key;
    return { ...record, messageId: id, body: JSON.stringify(body) };
  }

  it('with the database down, only the batch messages are reported when something else succeeded', async () => {
    const unreachable = createDb(
      {
        connectionString: 'postgresql://events@127.0.0.1:1/events',
        poolMax: 1,
        statementTimeoutMs: 0,
        ssl: false,
      },
      silentLogger,
    );
    try {
      const load = createLoadBatchHandler({
        store,
        events: createEventStore(unreachable),
        logger: silentLogger,
      });
      const event = { Records: [...testEvent().Records, ...sample().Records] };
      expect(await load(event)).toEqual({
        batchItemFailures: [{ itemIdentifier: sample().Records[0]?.messageId }],
      });
      // Nothing succeeded at all: the invocation fails (a function error), every message returns.
      await expect(load(sample())).rejects.toMatchObject({ statusCode: 503 });
    } finally {
      await unreachable.end();
    }
  });

  it('starts no batch with less than 20 s of the invocation left: those messages return, nothing throws', async () => {
    const key = 'batches/032d330540298f54f0e8bcc1373f3cfd.json.gz';
    const load = createLoadBatchHandler({
      store,
      events: createEventStore(database.db),
      logger: silentLogger,
    });
    const context = { getRemainingTimeInMillis: () => 15_000 } as unknown as Context;
    const event = { Records: [messageFor('late-1', key), messageFor('late-2', 'batches/other.json.gz')] };
    expect(await load(event, context)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'late-1' }, { itemIdentifier: 'late-2' }],
    });
  });
});
