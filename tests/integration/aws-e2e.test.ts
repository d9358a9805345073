import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gzip as gzipCb } from 'node:zlib';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type {
  APIGatewayProxyEventV2,
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceResponse,
  ScheduledEvent,
  SQSEvent,
} from 'aws-lambda';
import pg from 'pg';
import { s3BatchStore } from '../../src/aws/s3-batch-store';
import { resolveSecrets } from '../../src/aws/secrets';
import { type Env, loadConfig } from '../../src/config';
import { reconcile } from '../../src/core/reconcile';
import { createEventReader } from '../../src/db/event-reader';
import { createEventStore } from '../../src/db/event-store';
import { MIGRATIONS } from '../../src/db/migrations';
import { createDb } from '../../src/db/pool';
import { lambdaDb, logger } from '../../src/handlers/lambda';
import { createLoadBatchHandler } from '../../src/handlers/load-batch';
import { createMaintainHandler, handler as maintainHandler } from '../../src/handlers/maintain';
import {
  createMigrateHandler,
  handler as migrateHandler,
  SCHEMA_RESOURCE_ID,
} from '../../src/handlers/migrate';
import { createQueryEventsHandler } from '../../src/handlers/query-events';
import { createReceiveWebhookHandler } from '../../src/handlers/receive-webhook';
import { silentLogger } from '../../src/logger';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { type Element, fixture, inner, lambdaEvent } from '../helpers/fixtures';
import { makeBatch } from '../helpers/make-events';
import { asAwsS3Event, startS3rver, type TestS3 } from '../helpers/s3rver';
import { type SqsQueueModel, sqsQueueModel } from '../helpers/sqs-model';

/**
 * AWS, played here: the Lambda handlers exactly as deployed, given the event shapes AWS sends (API
 * Gateway HTTP API v2, SQS messages carrying S3 notifications, EventBridge schedules, CloudFormation
 * custom resources), on an S3-compatible server (s3rver), a model of the SQS queue and its dead-letter
 * queue (tests/helpers/sqs-model.ts), and a real PostgreSQL.
 */
const gzip = promisify(gzipCb);
const WEBHOOK_AUTH = {
  disabled: false,
  basic: { username: 'sparkpost', password: 'change-me-webhook-password' },
} as const;
const API_AUTH = { disabled: false, apiKeys: ['change-me-api-key'] } as const;

// The deployed handlers log through the runtime's Powertools logger; the tests read results, not logs.
beforeAll(() => logger.powertools.setLogLevel('SILENT'));

function body(result: { body?: string }) {
  return JSON.parse(result.body as string);
}

/** The template's LoaderMaxReceiveCount default. */
const MAX_RECEIVE_COUNT = 5;

describe('API Gateway → webhook → S3 → SQS → loader → PostgreSQL → query API', () => {
  let s3: TestS3;
  let client: S3Client;
  let database: TestDatabase;
  let receive: ReturnType<typeof createReceiveWebhookHandler>;
  let load: ReturnType<typeof createLoadBatchHandler>;
  let query: ReturnType<typeof createQueryEventsHandler>;
  let queue: SqsQueueModel;

  beforeAll(async () => {
    [s3, database] = await Promise.all([startS3rver({ conditionalWrites: true }), createTestDatabase()]);
    client = s3.client();
    const store = s3BatchStore(client, s3.bucket);
    receive = createReceiveWebhookHandler({
      store,
      auth: WEBHOOK_AUTH,
      maxBatchBytes: 5 * 1024 * 1024,
      logger: silentLogger,
    });
    load = createLoadBatchHandler({ store, events: createEventStore(database.db), logger: silentLogger });
    query = createQueryEventsHandler({
      reader: createEventReader(database.db),
      now: Date.now,
      auth: API_AUTH,
      logger: silentLogger,
    });
  });
  beforeEach(() => {
    queue = sqsQueueModel({ maxReceiveCount: MAX_RECEIVE_COUNT });
  });
  afterAll(async () => {
    client?.destroy();
    await Promise.all([s3?.stop(), database?.drop()]);
  });

  /** S3 → LoadQueue: the notification of this key, as real S3 encodes it, in a message body. */
  async function notified(key: string): Promise<string> {
    return queue.send(asAwsS3Event(await s3.waitForEvent(key)));
  }

  /**
   * One poll of the event source mapping: a batch of messages → the loader → what SQS deletes. A thrown
   * invocation deletes nothing (`response` undefined, `error` set).
   */
  async function deliver(loader = load) {
    const event: SQSEvent = queue.receive();
    try {
      const response = await loader(event);
      queue.settle(event, response);
      return { event, response, error: undefined };
    } catch (error) {
      queue.settle(event, undefined);
      return { event, response: undefined, error };
    }
  }

  /** A webhook POST as API Gateway delivers it, for a batch of our own. */
  function webhookEvent(batchId: string, batch: unknown[]): APIGatewayProxyEventV2 {
    const sample = lambdaEvent<APIGatewayProxyEventV2>('receive-webhook.json');
    return {
      ...sample,
      headers: { ...sample.headers, 'x-messagesystems-batch-id': batchId },
      body: JSON.stringify(batch),
    };
  }

  it('a SparkPost batch is stored in S3, loaded from the S3 event it causes, and found by the query API', async () => {
    const received = await receive(lambdaEvent<APIGatewayProxyEventV2>('receive-webhook.json'));
    expect(received.statusCode).toBe(200);
    expect(body(received)).toEqual({
      results: { batch_id: '032d330540298f54f0e8bcc1373f3cfd', stored: true },
    });

    const key = 'batches/032d330540298f54f0e8bcc1373f3cfd.json.gz';
    await notified(key);
    const { event, response } = await deliver();
    expect(event.Records).toHaveLength(1);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(queue.depth).toBe(0);
    const record = await database.db.query(
      'SELECT status, inserted_count FROM batches WHERE object_key = $1',
      [key],
    );
    expect(record.rows).toEqual([{ status: 'loaded', inserted_count: 5 }]);

    const answer = await query(lambdaEvent<APIGatewayProxyEventV2>('query-events.json'));
    expect(answer.statusCode).toBe(200);
    const real = fixture<Element[]>('webhook-real-batch-2017.json').map(inner);
    const expected = real.filter((event) =>
      ['delivery', 'bounce', 'click', 'open'].includes(event.type as string),
    );
    const results = body(answer);
    expect(results.total_count).toBe(expected.length);
    expect(results.results.map((event: { event_id: string }) => event.event_id).sort()).toEqual(
      expected.map((event) => event.event_id).sort(),
    );
  });

  it("SparkPost's retry of a stored batch gets 200, writes nothing, and a repeated notification loads nothing", async () => {
    const batchId = `retry-${randomBytes(4).toString('hex')}`;
    const key = `batches/${batchId}.json.gz`;
    const batch = makeBatch(3, Date.parse('2017-06-01T10:00:00Z'), `${batchId}-`);
    expect(body(await receive(webhookEvent(batchId, batch)))).toEqual({
      results: { batch_id: batchId, stored: true },
    });
    const retried = await receive(webhookEvent(batchId, batch));
    expect(retried.statusCode).toBe(200);
    expect(body(retried)).toEqual({ results: { batch_id: batchId, stored: false } });

    // S3 and SQS deliver at least once: the same notification twice, in one poll and in the next.
    await notified(key);
    await notified(key);
    expect((await deliver()).response).toEqual({ batchItemFailures: [] });
    await notified(key);
    expect((await deliver()).response).toEqual({ batchItemFailures: [] });
    expect(queue.depth).toBe(0);
    const record = await database.db.query(
      'SELECT status, inserted_count, duplicate_count FROM batches WHERE object_key = $1',
      [key],
    );
    expect(record.rows).toEqual([{ status: 'loaded', inserted_count: 3, duplicate_count: 0 }]);

    // The refused write caused no second event (events arrive in order; a later write's is here).
    const marker = `marker-${randomBytes(4).toString('hex')}`;
    await receive(webhookEvent(marker, makeBatch(1, Date.parse('2017-06-01T11:00:00Z'), `${marker}-`)));
    await s3.waitForEvent(`batches/${marker}.json.gz`);
    expect(s3.events.filter((event) => event.Records[0]?.s3.object.key === key)).toHaveLength(1);
  });

  it('answers 503 while S3 refuses writes, so SparkPost retries, and 200 once it accepts them', async () => {
    const batchId = `outage-${randomBytes(4).toString('hex')}`;
    const event = webhookEvent(batchId, makeBatch(2, Date.parse('2017-06-02T10:00:00Z'), `${batchId}-`));
    await s3.failNextPuts(1, 503, 'ServiceUnavailable');
    const refused = await receive(event);
    expect(refused.statusCode).toBe(503);
    expect(body(refused).errors[0]).toMatchObject({ message: 'Service unavailable' });
    expect(body(await receive(event))).toEqual({ results: { batch_id: batchId, stored: true } });
  });

  it('stores nothing for the ping batch and refuses wrong credentials with 401', async () => {
    const ping = await receive(lambdaEvent<APIGatewayProxyEventV2>('receive-webhook-ping.json'));
    expect(body(ping)).toEqual({ results: { ping: true } });
    const sample = lambdaEvent<APIGatewayProxyEventV2>('receive-webhook.json');
    const wrong = await receive({
      ...sample,
      headers: { ...sample.headers, authorization: 'Basic d3Jvbmc6d3Jvbmc=' },
    });
    expect(wrong.statusCode).toBe(401);
  });

  it("SparkPost's OAuth 2.0: a token from POST /oauth/token lets a batch into S3; a function without that client refuses it", async () => {
    const oauthReceive = createReceiveWebhookHandler({
      store: s3BatchStore(client, s3.bucket),
      auth: {
        disabled: false,
        oauth: { clientId: 'sparkpost', clientSecret: 'change-me-oauth-client-secret' },
      },
      maxBatchBytes: 5 * 1024 * 1024,
      logger: silentLogger,
    });
    // The token request as API Gateway delivers it: form-encoded, base64 in the event.
    const issued = await oauthReceive(
      lambdaEvent<APIGatewayProxyEventV2>('receive-webhook-oauth-token.json'),
    );
    expect(issued.statusCode).toBe(200);
    expect(issued.headers).toMatchObject({ 'cache-control': 'no-store', pragma: 'no-cache' });
    const { access_token: token, token_type: type, expires_in: expiresIn } = body(issued);
    expect([type, expiresIn]).toEqual(['Bearer', 3600]);

    const batchId = `oauth-${randomBytes(4).toString('hex')}`;
    const event = webhookEvent(batchId, makeBatch(2, Date.parse('2017-06-03T10:00:00Z'), `${batchId}-`));
    const withToken = { ...event, headers: { ...event.headers, authorization: `Bearer ${token}` } };
    expect(body(await oauthReceive(withToken))).toEqual({ results: { batch_id: batchId, stored: true } });
    await s3.waitForEvent(`batches/${batchId}.json.gz`);
    // The Basic-only function (another configuration) knows no OAuth client: the token means nothing there.
    expect((await receive(withToken)).statusCode).toBe(401);
  });

  it('records an unreadable object as rejected and leaves it in the bucket', async () => {
    const key = `batches/corrupt-${randomBytes(4).toString('hex')}.json.gz`;
    await client.send(
      new PutObjectCommand({
        Bucket: s3.bucket,
        Key: key,
        Body: await gzip(Buffer.from('{"not": "an array"}')),
      }),
    );
    await notified(key);
    // Retrying cannot make it readable: the message succeeds, and the batch record says why.
    expect((await deliver()).response).toEqual({ batchItemFailures: [] });
    expect(queue.depth).toBe(0);
    const row = await database.db.query('SELECT status, reason FROM batches WHERE object_key = $1', [key]);
    expect(row.rows).toEqual([
      { status: 'rejected', reason: 'unreadable batch: the batch is not a JSON array' },
    ]);
    await expect(s3BatchStore(client, s3.bucket).get(key)).resolves.toBeDefined();
  });

  it("acknowledges S3's test message, and reports only the message that is not a notification", async () => {
    const batchId = `mixed-${randomBytes(4).toString('hex')}`;
    await receive(webhookEvent(batchId, makeBatch(2, Date.parse('2017-06-04T10:00:00Z'), `${batchId}-`)));
    queue.send(JSON.parse(lambdaEvent<SQSEvent>('load-batch-s3-test-event.json').Records[0]?.body as string));
    const good = await notified(`batches/${batchId}.json.gz`);
    const stray = queue.send({ hello: 'not an S3 notification' });
    const { event, response } = await deliver();
    expect(event.Records.map((r) => r.messageId)).toEqual([expect.any(String), good, stray]);
    expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: stray }] });
    expect(queue.depth).toBe(1);
    expect(await loadedEvents(`${batchId}-`, '2017-06-04')).toHaveLength(2);
  });

  /** The loader in execution environments that cannot reach the database (RDS rebooting, full, moved). */
  function loaderWithoutDatabase() {
    const unreachable = createDb(
      {
        connectionString: 'postgresql://events_admin@127.0.0.1:1/events',
        poolMax: 1,
        statementTimeoutMs: 0,
        ssl: false,
      },
      silentLogger,
    );
    const loader = createLoadBatchHandler({
      store: s3BatchStore(client, s3.bucket),
      events: createEventStore(unreachable),
      logger: silentLogger,
    });
    return { loader, end: () => unreachable.end() };
  }

  /** The query API's answer: every event of these batches' ids, through the deployed query handler. */
  async function loadedEvents(prefix: string, day = '2017-06-05'): Promise<string[]> {
    const sample = lambdaEvent<APIGatewayProxyEventV2>('query-events.json');
    const from = `${day}T00:00:00Z`;
    const to = new Date(Date.parse(from) + 86_400_000).toISOString().replace('.000', '');
    const answer = await query({
      ...sample,
      rawQueryString: `from=${from}&to=${to}&per_page=10000`,
    });
    expect(answer.statusCode).toBe(200);
    const page = body(answer);
    const ids = (page.results as { event_id: string }[])
      .map((e) => e.event_id)
      .filter((id) => id.startsWith(prefix));
    return ids.sort();
  }

  it('rides out a database outage of an hour (five visibility timeouts): nothing lost, nothing twice', async () => {
    const run = randomBytes(4).toString('hex');
    const start = Date.parse('2017-06-05T08:00:00Z');
    const batches = [0, 1, 2].map((n) => ({
      id: `outage-${run}-${n}`,
      events: makeBatch(4, start + n * 60_000, `outage-${run}-${n}-`),
    }));
    const down = loaderWithoutDatabase();
    try {
      // Two batches arrive as the database goes away; the loader fails them, round after round.
      for (const batch of batches.slice(0, 2)) {
        expect(body(await receive(webhookEvent(batch.id, batch.events))).results.stored).toBe(true);
        await notified(`batches/${batch.id}.json.gz`);
      }
      const counts: string[][] = [];
      for (let round = 1; round < MAX_RECEIVE_COUNT; round += 1) {
        if (round === 2) {
          // A third arrives during the outage: SparkPost's webhook does not need the database.
          const third = batches[2] as (typeof batches)[number];
          await receive(webhookEvent(third.id, third.events));
          await notified(`batches/${third.id}.json.gz`);
        }
        const { event, error } = await deliver(down.loader);
        counts.push(event.Records.map((r) => r.attributes.ApproximateReceiveCount));
        // Nothing could load: the invocation fails (a function error, which the alarm counts), and
        // every message comes back.
        expect(error).toMatchObject({ statusCode: 503 });
        expect(queue.depth).toBe(event.Records.length);
      }
      expect(counts).toEqual([
        ['1', '1'],
        ['2', '2', '1'],
        ['3', '3', '2'],
        ['4', '4', '3'],
      ]);
      // Four rounds of 720 s: 48 minutes, far past the old asynchronous invoke's ~3 minutes of retries.
      expect(queue.rounds).toBe(4);
      expect(queue.deadLetters).toEqual([]);
      expect(await loadedEvents(`outage-${run}-`)).toEqual([]);
    } finally {
      await down.end();
    }
    // The database is back: the next poll (the fifth receive of the first two) loads all three.
    const { event, response } = await deliver();
    expect(event.Records.map((r) => r.attributes.ApproximateReceiveCount)).toEqual(['5', '5', '4']);
    expect(response).toEqual({ batchItemFailures: [] });
    expect(queue.depth).toBe(0);
    expect(queue.deadLetters).toEqual([]);
    const expected = batches.flatMap((b) => b.events.map((e) => e.msys.message_event?.event_id)).sort();
    expect(await loadedEvents(`outage-${run}-`)).toEqual(expected);
    // A late duplicate delivery (at least once) changes nothing.
    for (const batch of batches) await notified(`batches/${batch.id}.json.gz`);
    expect((await deliver()).response).toEqual({ batchItemFailures: [] });
    expect(await loadedEvents(`outage-${run}-`)).toEqual(expected);
  });

  /** The bucket's raw batches that the `batches` table does not know. */
  async function unknownKeys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of s3BatchStore(client, s3.bucket).list('batches/')) keys.push(key);
    const known = await database.db.query<{ object_key: string }>('SELECT object_key FROM batches');
    const present = new Set(known.rows.map((row) => row.object_key));
    return keys.filter((key) => !present.has(key)).sort();
  }

  it('a message past maxReceiveCount goes to the dead-letter queue; maintenance reconciles its batch', async () => {
    const run = randomBytes(4).toString('hex');
    const batch = {
      id: `deadletter-${run}`,
      events: makeBatch(3, Date.parse('2017-06-05T12:00:00Z'), `deadletter-${run}-`),
    };
    await receive(webhookEvent(batch.id, batch.events));
    const messageId = await notified(`batches/${batch.id}.json.gz`);
    const down = loaderWithoutDatabase();
    try {
      for (let round = 1; round <= MAX_RECEIVE_COUNT; round += 1) {
        const { error } = await deliver(down.loader);
        expect(error).toMatchObject({ statusCode: 503 });
      }
    } finally {
      await down.end();
    }
    // The sixth receive would exceed maxReceiveCount: SQS moves the message to the dead-letter queue.
    expect((await deliver()).event.Records).toEqual([]);
    expect(queue.deadLetters.map((m) => [m.messageId, m.attributes.ApproximateReceiveCount])).toEqual([
      [messageId, String(MAX_RECEIVE_COUNT)],
    ]);
    expect(queue.depth).toBe(0);
    expect(await loadedEvents(`deadletter-${run}-`)).toEqual([]);

    // The hourly MaintainFunction, once the database is back: S3's keys of the last days vs `batches`.
    const maintain = createMaintainHandler({
      db: database.db,
      maintenance: { daysAhead: 1, retentionDays: 0, intervalMs: 3_600_000, reconcileDays: 14 },
      now: Date.now,
      logger: silentLogger,
      reconcile: (deadline) =>
        reconcile(
          {
            store: s3BatchStore(client, s3.bucket),
            events: createEventStore(database.db),
            logger: silentLogger,
          },
          { windowDays: 14, now: Date.now(), deadline },
        ),
    });
    // Besides this one, the batches of earlier tests that no message loaded (those tests fed none).
    const unloaded = await unknownKeys();
    expect(unloaded).toContain(`batches/${batch.id}.json.gz`);
    const first = await maintain(lambdaEvent<ScheduledEvent>('maintain.json'), maintainContext);
    expect(first.reconciled).toMatchObject({
      pending: unloaded.length,
      loaded: unloaded.length,
      rejected: 0,
      failed: [],
      notTried: 0,
    });
    expect(await unknownKeys()).toEqual([]);
    expect(await loadedEvents(`deadletter-${run}-`)).toEqual(
      batch.events.map((e) => e.msys.message_event?.event_id).sort(),
    );
    // Run again, and redriving the dead letter to the loader: nothing more, nothing twice.
    const again = await maintain(lambdaEvent<ScheduledEvent>('maintain.json'), maintainContext);
    expect(again.reconciled).toMatchObject({ pending: 0, loaded: 0 });
    expect(again.reconciled?.checked).toBe(first.reconciled?.checked);
    queue.send(JSON.parse(queue.deadLetters[0]?.body as string));
    expect((await deliver()).response).toEqual({ batchItemFailures: [] });
    expect(await loadedEvents(`deadletter-${run}-`)).toHaveLength(3);
  });
});

/** Enough of Lambda's context for the maintenance handler: 15 minutes left. */
const maintainContext = {
  getRemainingTimeInMillis: () => 900_000,
} as unknown as import('aws-lambda').Context;

/** Stands in for CloudFormation's pre-signed ResponseURL: records what the function PUTs. */
async function startResponseReceiver() {
  const received: {
    method: string;
    headers: Record<string, unknown>;
    body: CloudFormationCustomResourceResponse;
  }[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        method: request.method as string,
        headers: request.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
      });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: `http://127.0.0.1:${port}/cloudformation-response?X-Amz-Signature=example`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('MigrateFunction as the DatabaseSchema custom resource', () => {
  let receiver: Awaited<ReturnType<typeof startResponseReceiver>>;
  let database: TestDatabase;
  const context = { getRemainingTimeInMillis: () => 300_000, logStreamName: '2026/11/27/[$LATEST]example' };

  beforeAll(async () => {
    [receiver, database] = await Promise.all([
      startResponseReceiver(),
      createTestDatabase({ migrate: false }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([receiver?.close(), database?.drop()]);
  });

  function cfnEvent(name: string): CloudFormationCustomResourceEvent {
    return { ...lambdaEvent<CloudFormationCustomResourceEvent>(name), ResponseURL: receiver.url };
  }
  const migrateWith = (
    connectionString: string,
    extra: Partial<Parameters<typeof createMigrateHandler>[0]> = {},
  ) =>
    createMigrateHandler({
      openDb: async () =>
        createDb({ connectionString, poolMax: 1, statementTimeoutMs: 0, ssl: false }, silentLogger),
      migrations: MIGRATIONS,
      logger: silentLogger,
      ...extra,
    });

  it('Create applies every migration to an empty database and answers SUCCESS the way cfn-response does', async () => {
    const sample = cfnEvent('migrate-create.json');
    await migrateWith(database.connectionString)(sample, context);
    const [answer] = receiver.received.splice(0);
    expect(answer?.method).toBe('PUT');
    expect(answer?.headers['content-type']).toBe('');
    expect(answer?.body).toEqual({
      Status: 'SUCCESS',
      PhysicalResourceId: SCHEMA_RESOURCE_ID,
      StackId: sample.StackId,
      RequestId: sample.RequestId,
      LogicalResourceId: 'DatabaseSchema',
      Data: { Applied: MIGRATIONS.map((m) => m.version).join(','), Count: String(MIGRATIONS.length) },
    });
    const applied = await database.db.query('SELECT version FROM schema_migrations ORDER BY version');
    expect(applied.rows.map((row) => row.version)).toEqual(MIGRATIONS.map((m) => m.version));
  });

  it('Update, through the deployed handler, applies nothing new and keeps the resource id', async () => {
    const saved = process.env.DATABASE_URL;
    process.env.DATABASE_URL = database.connectionString;
    try {
      await migrateHandler(cfnEvent('migrate-update.json'), context);
    } finally {
      if (saved === undefined) delete process.env.DATABASE_URL;
      else process.env.DATABASE_URL = saved;
    }
    const [answer] = receiver.received.splice(0);
    expect(answer?.body).toMatchObject({
      Status: 'SUCCESS',
      PhysicalResourceId: SCHEMA_RESOURCE_ID,
      Data: { Applied: '', Count: '0' },
    });
  });

  it('Delete answers SUCCESS without opening the database: the data outlives the stack', async () => {
    let opened = 0;
    const handler = createMigrateHandler({
      openDb: async () => {
        opened += 1;
        throw new Error('must not be called');
      },
      migrations: MIGRATIONS,
      logger: silentLogger,
    });
    await handler(cfnEvent('migrate-delete.json'), context);
    expect(opened).toBe(0);
    expect(receiver.received.splice(0).map((answer) => answer.body.Status)).toEqual(['SUCCESS']);
    const tables = await database.db.query("SELECT to_regclass('events') IS NOT NULL AS present");
    expect(tables.rows).toEqual([{ present: true }]);
  });

  it("a rollback's Update (back to an older MigrateFunction version) succeeds without touching the schema", async () => {
    const forward = cfnEvent('migrate-update.json') as CloudFormationCustomResourceEvent & {
      OldResourceProperties: Record<string, unknown>;
    };
    const rollback = {
      ...forward,
      ResourceProperties: forward.OldResourceProperties,
      OldResourceProperties: forward.ResourceProperties,
    } as CloudFormationCustomResourceEvent;
    let opened = 0;
    const handler = createMigrateHandler({
      openDb: async () => {
        opened += 1;
        throw new Error('the database is down, as it may be when a deploy fails');
      },
      migrations: MIGRATIONS,
      logger: silentLogger,
    });
    await handler(rollback, context);
    expect(opened).toBe(0);
    await handler(forward, context);
    expect(opened).toBe(1);
    expect(receiver.received.splice(0).map((answer) => answer.body.Status)).toEqual(['SUCCESS', 'FAILED']);
  });

  it('answers FAILED with the reason when the database cannot be reached, and never leaks the password', async () => {
    const unreachable = 'postgresql://events_admin:sup3r-s3cret@127.0.0.1:1/events';
    await migrateWith(unreachable)(cfnEvent('migrate-create.json'), context);
    const [answer] = receiver.received.splice(0);
    expect(answer?.body).toMatchObject({ Status: 'FAILED', PhysicalResourceId: SCHEMA_RESOURCE_ID });
    expect(answer?.body.Reason).toMatch(/^Service unavailable: The database is unreachable: .*ECONNREFUSED/);
    expect(answer?.body.Reason).toContain(context.logStreamName);
    expect(JSON.stringify(answer)).not.toContain('sup3r-s3cret');
  });

  it("answers FAILED before Lambda's timeout when another migration holds the lock", async () => {
    const holder = new pg.Client({ connectionString: database.connectionString });
    await holder.connect();
    await holder.query('SELECT pg_advisory_lock(7262817001)');
    try {
      const started = Date.now();
      await migrateWith(database.connectionString, { safetyMarginMs: 1000 })(
        cfnEvent('migrate-update.json'),
        {
          ...context,
          getRemainingTimeInMillis: () => 1300,
        },
      );
      expect(Date.now() - started).toBeLessThan(1000);
      const [answer] = receiver.received.splice(0);
      expect(answer?.body).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^timed out/) });
    } finally {
      await holder.end();
    }
  });

  it('throws when CloudFormation cannot be told, so Lambda retries the invocation', async () => {
    const handler = migrateWith(database.connectionString);
    const event = { ...cfnEvent('migrate-update.json'), ResponseURL: 'http://127.0.0.1:1/unreachable' };
    await expect(handler(event, context)).rejects.toThrow();
  });
});

describe('MaintainFunction on its EventBridge schedule', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  const partitions = async () =>
    (
      await database.db.query<{ name: string }>(
        "SELECT relname AS name FROM pg_class WHERE relname LIKE 'events\\_2%' AND relkind = 'r' ORDER BY 1",
      )
    ).rows.map((row) => row.name);

  it('creates today and the days ahead, and drops partitions past retention (counted from the clock)', async () => {
    await database.db.query("SELECT ensure_events_partition('2031-01-01')");
    const handler = createMaintainHandler({
      db: database.db,
      maintenance: { daysAhead: 2, retentionDays: 30, intervalMs: 3_600_000, reconcileDays: 0 },
      now: () => Date.parse('2031-03-10T12:00:00Z'),
      logger: silentLogger,
    });
    // The sample's own time (2026) plays no part: only the clock decides what is old.
    const result = await handler(lambdaEvent<ScheduledEvent>('maintain.json'));
    expect(result).toEqual({
      created: ['2031-03-10', '2031-03-11', '2031-03-12'],
      dropped: ['events_20310101'],
    });
    expect(await partitions()).toEqual(['events_20310310', 'events_20310311', 'events_20310312']);
  });

  it('the deployed handler reads its settings from the environment and maintains from today', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      DATABASE_URL: database.connectionString,
      PARTITIONS_AHEAD_DAYS: '1',
      RETENTION_DAYS: '0',
      // No reconciliation here (the SQS tests above run it against s3rver); the bucket is still required.
      BATCH_BUCKET: 'raw-batches',
      RECONCILE_DAYS: '0',
    });
    try {
      await maintainHandler(lambdaEvent<ScheduledEvent>('maintain.json'));
    } finally {
      for (const name of [
        'DATABASE_URL',
        'PARTITIONS_AHEAD_DAYS',
        'RETENTION_DAYS',
        'BATCH_BUCKET',
        'RECONCILE_DAYS',
      ]) {
        if (saved[name] === undefined) delete process.env[name];
        else process.env[name] = saved[name];
      }
    }
    const today = new Date().toISOString().slice(0, 10).replaceAll('-', '');
    expect(await partitions()).toContain(`events_${today}`);
  });
});

describe('cold start: secrets read from Secrets Manager, never from the environment', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ migrate: false });
  });
  afterAll(async () => {
    await database?.drop();
  });

  /** A secret store for the test: ARN → current JSON value, counting reads. */
  function secretStore(initial: Record<string, unknown>) {
    const values = new Map(Object.entries(initial).map(([arn, value]) => [arn, JSON.stringify(value)]));
    const store = {
      reads: 0,
      set: (arn: string, value: unknown) => values.set(arn, JSON.stringify(value)),
      read: async (arn: string) => {
        store.reads += 1;
        const value = values.get(arn);
        if (value === undefined) throw new Error(`no secret ${arn}`);
        return value;
      },
    };
    return store;
  }

  /** The two HTTP functions' configuration, as their cold start reads it. */
  async function httpConfig(env: Env, read: (arn: string) => Promise<string>) {
    const resolved = await resolveSecrets(env, ['WEBHOOK_SECRET_ARN', 'API_KEYS_SECRET_ARN'], read);
    return loadConfig({ BATCH_BUCKET: 'raw', ...resolved }, ['webhook', 'api'], { target: 'aws' });
  }

  it('webhook credentials and API keys come from their secrets', async () => {
    const secrets = secretStore({
      'arn:webhook': { username: 'sparkpost', password: 'pw-from-secret' },
      'arn:keys': { api_keys: 'key-one, key-two' },
    });
    const config = await httpConfig(
      { WEBHOOK_SECRET_ARN: 'arn:webhook', API_KEYS_SECRET_ARN: 'arn:keys' },
      secrets.read,
    );
    expect(config.webhook.auth.basic).toEqual({ username: 'sparkpost', password: 'pw-from-secret' });
    expect(config.api.auth.apiKeys).toEqual(['key-one', 'key-two']);
  });

  it("the webhook's two secrets combine (Basic, and the OAuth client the template generates apart)", async () => {
    const secrets = secretStore({
      'arn:webhook': {
        username: 'sparkpost',
        password: 'pw-from-secret',
        header: 'X-Webhook-Key: from-secret',
      },
      'arn:oauth': { oauth_client_id: 'sparkpost', oauth_client_secret: 'client-secret-from-secret' },
    });
    const arns = ['WEBHOOK_SECRET_ARN', 'WEBHOOK_OAUTH_SECRET_ARN'] as const;
    const env = {
      BATCH_BUCKET: 'raw',
      WEBHOOK_SECRET_ARN: 'arn:webhook',
      WEBHOOK_OAUTH_SECRET_ARN: 'arn:oauth',
    };
    const { webhook } = loadConfig(await resolveSecrets(env, arns, secrets.read), ['webhook'], {
      target: 'aws',
    });
    expect(webhook.auth).toEqual({
      disabled: false,
      basic: { username: 'sparkpost', password: 'pw-from-secret' },
      oauth: { clientId: 'sparkpost', clientSecret: 'client-secret-from-secret' },
      header: { name: 'X-Webhook-Key', value: 'from-secret' },
    });
    // The same key in both is ambiguous: refused, naming the key and both secrets, never a value.
    secrets.set('arn:webhook', { oauth_client_secret: 'another-client-secret' });
    const failure = (await resolveSecrets(env, arns, secrets.read).catch((e: unknown) => e)) as Error;
    expect(failure.message).toContain(
      '"oauth_client_secret" is in both WEBHOOK_SECRET_ARN and WEBHOOK_OAUTH_SECRET_ARN',
    );
    expect(failure.message).not.toContain('client-secret');
  });

  it('refuses a secret that is not JSON without echoing it, and a secret set twice', async () => {
    const read = async () => 'hunter2-not-json';
    const failure = (await httpConfig({ WEBHOOK_SECRET_ARN: 'arn:broken' }, read).catch(
      (e: unknown) => e,
    )) as Error;
    expect(String(failure.message)).toContain('arn:broken');
    expect(String(failure.message)).not.toContain('hunter2');
    await expect(
      httpConfig({ WEBHOOK_SECRET_ARN: 'arn:x', WEBHOOK_PASSWORD: 'plain' }, read),
    ).rejects.toThrow(/not both/);
  });

  it('names every missing credential at once when a function has none', async () => {
    const failure = (await httpConfig({}, async () => '{}').catch((e: unknown) => e)) as Error;
    expect(String(failure.message)).toMatch(/WEBHOOK_SECRET_ARN[\s\S]*API_KEYS_SECRET_ARN/);
  });

  it('connects with the RDS secret, and reads it again when the password was rotated since', async () => {
    const role = `rotating_${randomBytes(4).toString('hex')}`;
    const admin = database.db;
    await admin.query(`CREATE ROLE ${role} LOGIN PASSWORD 'first-password'`);
    const url = new URL(database.connectionString);
    const secrets = secretStore({ 'arn:db': { username: role, password: 'first-password' } });
    const env = {
      DB_HOST: url.hostname,
      DB_PORT: url.port,
      DB_NAME: url.pathname.slice(1),
      DB_SECRET_ARN: 'arn:db',
      PG_POOL_MAX: '1',
    };
    try {
      await rotateAndReconnect();
    } finally {
      await admin.query(`DROP ROLE ${role}`);
    }

    async function rotateAndReconnect(): Promise<void> {
      const db = await lambdaDb(loadConfig(env, ['db'], { target: 'aws' }).db, secrets.read);
      try {
        // Rotation between the cold start (secret read) and the first connection.
        await admin.query(`ALTER ROLE ${role} PASSWORD 'second-password'`);
        secrets.set('arn:db', { username: role, password: 'second-password' });
        const who = await db.query<{ user: string }>('SELECT current_user AS user');
        expect(who.rows).toEqual([{ user: role }]);
        if (!(await checksPasswords(url, role))) {
          // A server that does not check passwords (trust authentication, as some DATABASE_URL servers
          // are set up) accepts the stale password: there is no rotation to notice, and nothing more to
          // test here. The embedded PostgreSQL of the default run checks them.
          expect(secrets.reads).toBe(1);
          return;
        }
        expect(secrets.reads).toBe(2);
      } finally {
        await db.end();
      }

      // A secret that does not match either: one fresh read, then the database's own error.
      secrets.set('arn:db', { username: role, password: 'wrong' });
      const stale = await lambdaDb(loadConfig(env, ['db'], { target: 'aws' }).db, secrets.read);
      try {
        await expect(stale.query('SELECT 1')).rejects.toMatchObject({ code: '28P01' });
        expect(secrets.reads).toBe(4);
      } finally {
        await stale.end();
      }
    }
  });
});

/** Whether the server refuses a wrong password for this role (false under trust authentication). */
async function checksPasswords(url: URL, role: string): Promise<boolean> {
  const probe = new URL(url.toString());
  probe.username = role;
  probe.password = 'certainly-not-the-password';
  const client = new pg.Client({ connectionString: probe.toString() });
  try {
    await client.connect();
    await client.end();
    return false;
  } catch {
    return true;
  }
}
