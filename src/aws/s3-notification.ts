/**
 * What the raw-batch bucket's event notification puts in the body of an SQS message (S3 user guide,
 * "Event message structure"): a JSON object with `Records`, one per object event, or, once, when the
 * notification is configured, S3's test message `{"Event": "s3:TestEvent", …}`, which has none.
 */
export type S3Notification =
  /** S3's test message: nothing to load, and nothing wrong. */
  | { readonly kind: 'test' }
  /** The object keys created, URL-decoded (S3 form-encodes keys in notifications: a space is `+`). */
  | { readonly kind: 'objects'; readonly keys: readonly string[] }
  /** Not an S3 notification: a message nobody should have sent to this queue. */
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Reads one message body. Records of other events than `ObjectCreated:*` are left out (the bucket sends
 * none; a hand-written message may omit `eventName`). S3's advice is to compare only the major of
 * `eventVersion`, so any 2.x is read and another major is refused.
 */
export function parseS3Notification(body: string): S3Notification {
  let message: unknown;
  try {
    message = JSON.parse(body);
  } catch {
    return { kind: 'invalid', reason: 'the message body is not JSON' };
  }
  if (!isObject(message)) return { kind: 'invalid', reason: 'the message body is not a JSON object' };
  if (message.Event === 's3:TestEvent') return { kind: 'test' };
  if (!Array.isArray(message.Records)) {
    return { kind: 'invalid', reason: 'the message is neither an S3 notification nor its test event' };
  }
  const keys: string[] = [];
  for (const record of message.Records) {
    if (!isObject(record)) return { kind: 'invalid', reason: 'a record is not a JSON object' };
    const { eventName, eventVersion } = record;
    if (eventVersion !== undefined && String(eventVersion).split('.')[0] !== '2') {
      return { kind: 'invalid', reason: `unknown S3 event version ${String(eventVersion).slice(0, 20)}` };
    }
    if (eventName !== undefined && !String(eventName).startsWith('ObjectCreated:')) continue;
    const s3 = isObject(record.s3) ? record.s3 : undefined;
    const object = s3 && isObject(s3.object) ? s3.object : undefined;
    if (typeof object?.key !== 'string') return { kind: 'invalid', reason: 'a record has no s3.object.key' };
    try {
      keys.push(decodeURIComponent(object.key.replace(/\+/g, ' ')));
    } catch {
      return { kind: 'invalid', reason: 'an object key is not URL-encoded text' };
    }
  }
  return { kind: 'objects', keys };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
