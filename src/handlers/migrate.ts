import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type {
  CloudFormationCustomResourceEvent,
  CloudFormationCustomResourceResponse,
  Context,
} from 'aws-lambda';
import { type Migration, migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import type { Db } from '../db/pool';
import { AppError } from '../errors';
import type { Logger } from '../logger';
import { dbFromEnv, logger } from './runtime';

/** The custom resource's id: one schema per stack, whatever the deploy. */
export const SCHEMA_RESOURCE_ID = 'sparkpost-event-db-schema';

export interface MigrateDeps {
  /** Opens the database for one run; it is closed when the run ends. */
  openDb(): Promise<Db>;
  readonly migrations: readonly Migration[];
  readonly logger: Logger;
  /** Sends the answer to CloudFormation; by default an HTTP PUT to the pre-signed ResponseURL. */
  readonly respond?: (url: string, response: CloudFormationCustomResourceResponse) => Promise<void>;
  /** The answer goes out at least this long before Lambda's own timeout would cut the run. */
  readonly safetyMarginMs?: number;
}

type MigrateContext = Pick<Context, 'getRemainingTimeInMillis' | 'logStreamName'>;

/**
 * MigrateFunction: the `DatabaseSchema` custom resource. Create and Update apply the migrations in sql/
 * (each once, under an advisory lock); Delete and a rollback's Update change nothing, since the data
 * outlives the stack's resources and migrations only go forward. CloudFormation is always answered, SUCCESS or FAILED with the reason, and before Lambda's
 * timeout: an unanswered custom resource leaves the stack waiting until CloudFormation gives up.
 */
export function createMigrateHandler(deps: MigrateDeps) {
  const respond = deps.respond ?? putResponse;
  const margin = deps.safetyMarginMs ?? 10_000;

  return async (event: CloudFormationCustomResourceEvent, context: MigrateContext): Promise<void> => {
    const physicalResourceId = event.RequestType === 'Create' ? SCHEMA_RESOURCE_ID : event.PhysicalResourceId;
    const answer = {
      PhysicalResourceId: physicalResourceId,
      StackId: event.StackId,
      RequestId: event.RequestId,
      LogicalResourceId: event.LogicalResourceId,
    };
    let response: CloudFormationCustomResourceResponse;
    try {
      const applied =
        event.RequestType === 'Delete' || isRollback(event)
          ? []
          : await withDeadline(applyMigrations(deps), context.getRemainingTimeInMillis() - margin);
      deps.logger.info('schema up to date', {
        requestType: event.RequestType,
        rollback: isRollback(event),
        applied,
      });
      response = {
        ...answer,
        Status: 'SUCCESS',
        Data: { Applied: applied.join(','), Count: String(applied.length) },
      };
    } catch (error) {
      const message = describe(error);
      deps.logger.error('schema migration failed', { requestType: event.RequestType, error: message });
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
 * A stack rollback sends an Update back to the previous MigrateFunction version (version numbers only
 * grow). Migrations are forward-only and each ran in its own transaction, so there is nothing to undo;
 * answering SUCCESS keeps a failed deploy from ending in UPDATE_ROLLBACK_FAILED.
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

async function applyMigrations(deps: MigrateDeps): Promise<string[]> {
  const db = await deps.openDb();
  try {
    return await migrate(db, deps.migrations, deps.logger);
  } finally {
    await db.end();
  }
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
export function putResponse(url: string, response: CloudFormationCustomResourceResponse): Promise<void> {
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

export const handler = createMigrateHandler({
  openDb: () => dbFromEnv(process.env),
  migrations: MIGRATIONS,
  logger,
});
