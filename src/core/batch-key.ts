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

/** The batch id of an object key, or undefined for keys that are not raw batches. */
export function batchIdFromKey(key: string): string | undefined {
  if (!key.startsWith(BATCH_PREFIX) || !key.endsWith(SUFFIX)) return undefined;
  const id = key.slice(BATCH_PREFIX.length, -SUFFIX.length);
  return SAFE_BATCH_ID.test(id) ? id : undefined;
}
