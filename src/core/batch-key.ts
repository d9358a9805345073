import { createHash } from 'node:crypto';

/**
 * How raw batches are named in the batch store, shared by the webhook (which writes them) and the loader
 * (which reads them): one gzip object per batch id under `batches/`.
 */
export const BATCH_PREFIX = 'batches/';
const SUFFIX = '.json.gz';
const SAFE_BATCH_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/**
 * The batch id: SparkPost's `X-MessageSystems-Batch-ID` (stable across retries) when it is a safe file
 * and object name, a SHA-256 of that header when it is not, and the SHA-256 of the body without one.
 */
export function batchIdFor(headerValue: string | undefined, body: Buffer): string {
  const given = headerValue?.trim();
  if (given && SAFE_BATCH_ID.test(given)) return given;
  const hash = createHash('sha256');
  if (given) hash.update(`batch-id:${given}`);
  else hash.update(body);
  return hash.digest('hex');
}

export function batchObjectKey(batchId: string): string {
  return `${BATCH_PREFIX}${batchId}${SUFFIX}`;
}

/**
 * The batch id of every "Send Test Batch" in SparkPost's app: fixed, "hardcoded value in the API"
 * (SparkPost/2web2ui src/pages/webhooks/components/TestTab.js L40, sent as X-MessageSystems-Batch-ID).
 */
export const TEST_BATCH_ID = '77c2b630-d712-11e4-9642-efc2723b99c1';
/**
 * Where test batches are kept: inside `batches/`, so that the bucket's permissions and lifecycle cover
 * them, but in a folder whose keys are no raw batch's (`batchIdFromKey` is undefined for them), so no
 * loader, scan, replay or pending count ever takes one.
 */
const TEST_BATCH_PREFIX = `${BATCH_PREFIX}test/`;

/**
 * The key of a test batch: its id and a digest of its body, since every test has the same id, so that
 * each different sample is kept once.
 */
export function testBatchObjectKey(batchId: string, body: Buffer): string {
  const digest = createHash('sha256').update(body).digest('hex').slice(0, 16);
  return `${TEST_BATCH_PREFIX}${batchId}-${digest}${SUFFIX}`;
}

export function isTestBatchKey(key: string): boolean {
  return key.startsWith(TEST_BATCH_PREFIX) && key.endsWith(SUFFIX);
}

/** The batch id of an object key, or undefined for keys that are not raw batches (test batches included). */
export function batchIdFromKey(key: string): string | undefined {
  if (!key.startsWith(BATCH_PREFIX) || !key.endsWith(SUFFIX)) return undefined;
  const id = key.slice(BATCH_PREFIX.length, -SUFFIX.length);
  return SAFE_BATCH_ID.test(id) ? id : undefined;
}
