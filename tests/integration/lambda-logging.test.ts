import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { createEventReader } from '../../src/db/event-reader';
import { logger } from '../../src/handlers/lambda';
import { createQueryEventsHandler } from '../../src/handlers/query-events';
import { createTestDatabase, type TestDatabase } from '../helpers/database';
import { lambdaEvent } from '../helpers/fixtures';

/**
 * Every log line of a Lambda invocation carries that invocation's ids (Lambda's request id and API
 * Gateway's), and none of them leaks into the next invocation.
 */
let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

/** The JSON lines Powertools writes to stdout while `work` runs. */
async function logLines(work: () => Promise<unknown>): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array) => {
    lines.push(String(chunk));
    return true;
  }) as typeof process.stdout.write;
  logger.powertools.setLogLevel('INFO');
  try {
    await work();
  } finally {
    process.stdout.write = write;
    logger.powertools.setLogLevel('SILENT');
  }
  return lines
    .flatMap((chunk) => chunk.split('\n'))
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line));
}

const context = (awsRequestId: string) =>
  ({
    awsRequestId,
    functionName: 'QueryEventsFunction',
    functionVersion: '3',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:QueryEventsFunction',
    memoryLimitInMB: '256',
    logGroupName: '/aws/lambda/QueryEventsFunction',
    logStreamName: '2026/12/01/[3]abc',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => 10_000,
    done() {},
    fail() {},
    succeed() {},
  }) as Context;

it('tags each invocation’s log lines with its request ids, and clears them afterwards', async () => {
  const query = createQueryEventsHandler({
    reader: createEventReader(database.db),
    now: Date.now,
    auth: { disabled: false, apiKeys: ['k'] },
    logger,
  });
  const sample = lambdaEvent<APIGatewayProxyEventV2>('query-events.json');
  const unauthorised = (id: string): APIGatewayProxyEventV2 => ({
    ...sample,
    headers: {},
    requestContext: { ...sample.requestContext, requestId: id },
  });
  const first = await logLines(() => query(unauthorised('api-1'), context('lambda-1')));
  const second = await logLines(() => query({ ...unauthorised('api-2') }, context('lambda-2')));
  expect(first).toEqual([
    expect.objectContaining({
      message: 'request refused',
      apiRequestId: 'api-1',
      function_request_id: 'lambda-1',
    }),
  ]);
  expect(second).toEqual([
    expect.objectContaining({
      message: 'request refused',
      apiRequestId: 'api-2',
      function_request_id: 'lambda-2',
    }),
  ]);
});
