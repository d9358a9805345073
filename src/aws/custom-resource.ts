import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type {
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceResponse,
  Context,
} from 'aws-lambda';
import { AppError } from '../errors';
import type { Logger } from '../logger';

/**
 * The CloudFormation custom-resource protocol, apart from what a resource does: CloudFormation is always
 * answered, SUCCESS or FAILED with the reason, and before Lambda's timeout (an unanswered custom resource
 * leaves the stack waiting until CloudFormation gives up, up to the resource's ServiceTimeout).
 */
type ResourceData = Record<string, string>;

export interface CustomResourceOptions {
  /** The physical id: stable, so an Update never looks like a replacement. */
  readonly physicalResourceId: string;
  /** Create, and an Update that is not a rollback: do the work; the result is the response's Data. */
  apply(): Promise<ResourceData>;
  /** The Data answered for a Delete or a rollback's Update, which change nothing. */
  readonly unchanged: ResourceData;
  readonly logger: Logger;
  /** Sends the answer to CloudFormation; by default an HTTP PUT to the pre-signed ResponseURL. */
  readonly respond?: (url: string, response: CloudFormationCustomResourceResponse) => Promise<void>;
  /** The answer goes out at least this long before Lambda's own timeout would cut the run. */
  readonly safetyMarginMs?: number;
}

export type CustomResourceContext = Pick<Context, 'getRemainingTimeInMillis' | 'logStreamName'>;

export function customResourceHandler(options: CustomResourceOptions) {
  const respond = options.respond ?? putResponse;
  const margin = options.safetyMarginMs ?? 10_000;

  return async (event: CloudFormationCustomResourceEvent, context: CustomResourceContext): Promise<void> => {
    const answer = {
      PhysicalResourceId:
        event.RequestType === 'Create' ? options.physicalResourceId : event.PhysicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
    const rollback = isRollback(event);
    let response: CloudFormationCustomResourceResponse;
    try {
      const data =
        event.RequestType === 'Delete' || rollback
          ? options.unchanged
          : await withDeadline(options.apply(), context.getRemainingTimeInMillis() - margin);
      options.logger.info('custom resource done', { requestType: event.RequestType, rollback, data });
      response = { ...answer, Status: 'SUCCESS', Data: data };
    } catch (error) {
      const message = describe(error);
      options.logger.error('custom resource failed', { requestType: event.RequestType, error: message });
      response = {
        ...answer,
        Status: 'FAILED',
        // CloudFormation limits the whole response to 4 KB.
        Reason: `${message.slice(0, 1500)} (log stream ${context.logStreamName})`,
      };
    }
    // If this throws, Lambda retries the (asynchronous) invocation, and the run is repeated safely.
    await respond(event.ResponseURL, response);
  };
}

/**
 * A stack rollback sends an Update back to the previous function version (version numbers only grow,
 * and the template passes the version as `CodeVersion`). Answering SUCCESS without work keeps a failed
 * deploy from ending in UPDATE_ROLLBACK_FAILED.
 */
function isRollback(event: CloudFormationCustomResourceEvent): boolean {
  if (event.RequestType !== 'Update') return false;
  const version = (properties: Record<string, unknown>) => {
    const match = /:(\d+)$/.exec(String(properties.CodeVersion ?? ''));
    return match ? Number(match[1]) : undefined;
  };
  const to = version(event.ResourceProperties);
  const from = version(event.OldResourceProperties);
  return to !== undefined && from !== undefined && to < from;
}

/** An error as an operator needs it in the CloudFormation console: what failed, and why. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const parts = [error.message];
  if (error instanceof AppError && error.description) parts.push(error.description);
  const cause = error.cause as { message?: unknown; code?: unknown } | undefined;
  // A refused connection surfaces as an AggregateError with an empty message but a code.
  if (cause) parts.push(String(cause.message || cause.code || ''));
  return parts.filter(Boolean).join(': ');
}

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`timed out after ${Math.max(ms, 0)} ms (another migration holding the lock?)`)),
      Math.max(ms, 0),
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * PUTs the answer to CloudFormation's pre-signed S3 URL, as cfn-response does: an empty Content-Type
 * (it may be part of the signature) and an explicit Content-Length.
 */
function putResponse(url: string, response: CloudFormationCustomResourceResponse): Promise<void> {
  const body = JSON.stringify(response);
  const target = new URL(url);
  const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'PUT',
        headers: { 'content-type': '', 'content-length': Buffer.byteLength(body) },
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve();
          else reject(new Error(`CloudFormation response rejected with HTTP ${status}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('CloudFormation response timed out')));
    req.on('error', reject);
    req.end(body);
  });
}
