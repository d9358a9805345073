import { createHash, randomUUID } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

/**
 * A model of an SQS standard queue with a redrive policy, as the loader's event source mapping uses it
 * (LoadQueue → LoadDeadLetterQueue in template.yaml), driven round by round instead of by the clock:
 *
 * - `receive()` is one poll of the event source mapping: up to `batchSize` visible messages, each with
 *   its receive count raised (`attributes.ApproximateReceiveCount`). A message already received
 *   `maxReceiveCount` times is moved to the dead-letter queue instead, as SQS does when it would be
 *   received once more.
 * - `settle(event, response)` is Lambda's answer to the mapping: a partial batch response deletes every
 *   message not listed in `batchItemFailures`; a thrown invocation (`response` undefined) deletes none.
 *   Messages not deleted become visible again at the next round: one round stands for one visibility
 *   timeout (720 s with the template's loader timeout of 120 s).
 *
 * No real time passes, so a test can play an hour-long outage in a few rounds.
 */
export interface SqsQueueModel {
  /** S3 → queue: a message whose body is this notification, as JSON. */
  send(body: unknown): string;
  receive(): SQSEvent;
  settle(event: SQSEvent, response: SQSBatchResponse | undefined): void;
  /** Messages still in the queue (visible or in flight). */
  readonly depth: number;
  /** The dead-letter queue's messages, in the order they moved there. */
  readonly deadLetters: readonly SQSRecord[];
  /** Rounds of visibility timeout played so far. */
  readonly rounds: number;
}

interface Message {
  readonly messageId: string;
  readonly body: string;
  readonly sentAt: number;
  receiveCount: number;
  inFlight: boolean;
}

export function sqsQueueModel({
  maxReceiveCount,
  batchSize = 10,
  arn = 'arn:aws:sqs:us-east-1:123456789012:sparkpost-event-db-LoadQueue-TEST',
}: {
  readonly maxReceiveCount: number;
  readonly batchSize?: number;
  readonly arn?: string;
}): SqsQueueModel {
  const messages: Message[] = [];
  const deadLetters: SQSRecord[] = [];
  let rounds = 0;
  const record = (message: Message): SQSRecord => ({
    messageId: message.messageId,
    receiptHandle: `handle-${message.messageId}-${message.receiveCount}`,
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentAt),
      SenderId: 'AIDAJHIPRHEMV73VRJEBU',
      ApproximateFirstReceiveTimestamp: String(message.sentAt),
    },
    messageAttributes: {},
    md5OfBody: createHash('md5').update(message.body).digest('hex'),
    eventSource: 'aws:sqs',
    eventSourceARN: arn,
    awsRegion: 'us-east-1',
  });

  return {
    send(body) {
      const message: Message = {
        messageId: randomUUID(),
        body: JSON.stringify(body),
        sentAt: Date.now(),
        receiveCount: 0,
        inFlight: false,
      };
      messages.push(message);
      return message.messageId;
    },
    receive() {
      rounds += 1;
      const batch: Message[] = [];
      for (const message of [...messages]) {
        if (batch.length >= batchSize) break;
        if (message.inFlight) continue;
        if (message.receiveCount >= maxReceiveCount) {
          messages.splice(messages.indexOf(message), 1);
          deadLetters.push(record(message));
          continue;
        }
        message.receiveCount += 1;
        message.inFlight = true;
        batch.push(message);
      }
      return { Records: batch.map(record) };
    },
    settle(event, response) {
      const failed = new Set(response?.batchItemFailures.map((failure) => failure.itemIdentifier));
      for (const { messageId } of event.Records) {
        const index = messages.findIndex((message) => message.messageId === messageId);
        const message = messages[index];
        if (!message) continue;
        if (response && !failed.has(messageId)) messages.splice(index, 1);
        else message.inFlight = false;
      }
    },
    get depth() {
      return messages.length;
    },
    deadLetters,
    get rounds() {
      return rounds;
    },
  };
}
