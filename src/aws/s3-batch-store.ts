import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BatchStore } from '../core/ports';

export interface S3BatchStoreOptions {
  /** Waits before each new try after a 409 ConditionalRequestConflict; its length is the number of retries. */
  readonly conflictRetryDelaysMs?: readonly number[];
  /** Keys per ListObjectsV2 page (S3's maximum and default is 1000). */
  readonly listPageSize?: number;
}

/**
 * A BatchStore on S3. `putIfAbsent` is a conditional PUT (`If-None-Match: *`): S3 refuses it with 412
 * Precondition Failed when the key exists, so the first writer wins, and acknowledges a PUT only once it
 * is durable. Two conditional PUTs of one key racing each other may get 409 ConditionalRequestConflict;
 * S3's advice is to retry, which then answers 412 (the other write won) or succeeds (it failed).
 */
export function s3BatchStore(
  client: Pick<S3Client, 'send'>,
  bucket: string,
  { conflictRetryDelaysMs = [50, 200, 800], listPageSize }: S3BatchStoreOptions = {},
): BatchStore {
  return {
    async putIfAbsent(key, body) {
      for (let attempt = 0; ; attempt += 1) {
        try {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: key,
              Body: body,
              IfNoneMatch: '*',
              ContentType: 'application/json',
              ContentEncoding: 'gzip',
            }),
          );
          return 'created';
        } catch (error) {
          const status = httpStatus(error);
          if (status === 412) return 'exists';
          const delay = conflictRetryDelaysMs[attempt];
          // Still conflicting after the retries: throw, so the webhook answers 5xx and SparkPost retries.
          if (status !== 409 || delay === undefined) throw error;
          await new Promise((resolve) => setTimeout(resolve, delay));
        }
      }
    },

    async get(key) {
      const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!result.Body) throw new Error(`S3 returned no body for ${key}`);
      const body = Buffer.from(await result.Body.transformToByteArray());
      return { body, storedAt: result.LastModified ?? new Date() };
    },

    // S3 lists keys in name order and cannot select by date: modifiedSince filters on LastModified.
    async *list(prefix, options = {}) {
      const since = options.modifiedSince?.getTime();
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(listPageSize ? { MaxKeys: listPageSize } : {}),
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) {
          if (!object.Key) continue;
          if (since !== undefined && object.LastModified && object.LastModified.getTime() < since) continue;
          yield object.Key;
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}

function httpStatus(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}
