/**
 * Where raw webhook batches live: an S3 bucket on AWS, a folder locally. The raw batch is the source of
 * truth, so a write must be durable before the webhook answers 200, and the first writer of a key wins.
 */
export interface BatchStore {
  /** Stores `body` under `key` unless an object is already there. Resolves once the write is durable. */
  putIfAbsent(key: string, body: Buffer): Promise<'created' | 'exists'>;
  /** Reads an object; `storedAt` is when it was written. */
  get(key: string): Promise<StoredObject>;
  /** Every key under `prefix`, in no particular order. */
  list(prefix: string): AsyncIterable<string>;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly storedAt: Date;
}
