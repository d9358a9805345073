import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { BatchStore } from './batch-store';

/**
 * A BatchStore on S3. `putIfAbsent` is a conditional PUT (`If-None-Match: *`): S3 refuses it with 412
 * when the key exists, so the first writer wins; S3 acknowledges a PUT only once it is durable.
 */
export function s3BatchStore(client: Pick<S3Client, 'send'>, bucket: string): BatchStore {
  return {
    async putIfAbsent(key, body) {
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
        const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
        // 412: the object exists. 409: a concurrent conditional write to the same key is in progress.
        if (status === 412 || status === 409) return 'exists';
        throw error;
      }
    },

    async get(key) {
      const result = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      if (!result.Body) throw new Error(`empty object ${key}`);
      const body = Buffer.from(await result.Body.transformToByteArray());
      return { body, storedAt: result.LastModified ?? new Date() };
    },

    async *list(prefix) {
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: prefix,
            ...(token ? { ContinuationToken: token } : {}),
          }),
        );
        for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    },
  };
}
