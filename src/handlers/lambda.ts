import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { toApiGatewayResult, toHttpRequest } from '../aws/api-gateway';
import { type SecretReader, secretDbCredentials, secretsManagerReader } from '../aws/secrets';
import { type DbConfig, loadConfig } from '../config';
import type { HttpRequest, HttpResponse } from '../core/http';
import { createDb, type Db } from '../db/pool';
import { createLogger, type ServiceLogger } from '../logger';

/**
 * What every Lambda entry point shares: the logger, building dependencies once per cold start, the
 * database behind its Secrets Manager secret, and the HTTP wrapper. Each handler file reads
 * "config → dependencies → `export const handler`".
 */
export const logger: ServiceLogger = createLogger(loadConfig(process.env, ['logging']).logging.level);

/** Builds a value once, on first use, and keeps it for the life of the execution environment. */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= build().catch((error: unknown) => {
      value = undefined;
      throw error;
    });
    return value;
  };
}

/**
 * Like `once`, but built again once the value is older than `maxAgeMs` (so that rotated secrets reach
 * warm execution environments). The rebuild runs in the background while the current value still
 * serves; if it fails, the current value stays and the next call after `retryMs` tries again.
 */
export function refreshing<T>(
  build: () => Promise<T>,
  { maxAgeMs, retryMs = 60_000, now = Date.now }: { maxAgeMs: number; retryMs?: number; now?: () => number },
): () => Promise<T> {
  const first = once(build);
  let current: { value: T; builtAt: number } | undefined;
  let rebuilding = false;
  return async () => {
    if (!current) {
      const value = await first();
      current ??= { value, builtAt: now() };
      return current.value;
    }
    if (!rebuilding && now() - current.builtAt >= maxAgeMs) {
      rebuilding = true;
      const stale = current;
      build().then(
        (value) => {
          current = { value, builtAt: now() };
          rebuilding = false;
        },
        (error: unknown) => {
          logger.error('refresh failed; keeping the previous configuration', { error });
          current = { value: stale.value, builtAt: now() - maxAgeMs + retryMs };
          rebuilding = false;
        },
      );
    }
    return current.value;
  };
}

let defaultReader: SecretReader | undefined;
/** Secrets Manager, through one client per execution environment. */
export function secretReader(): SecretReader {
  defaultReader ??= secretsManagerReader(new SecretsManagerClient({}));
  return defaultReader;
}

/**
 * The database of a function: DATABASE_URL, or DB_HOST with the user name and password of the secret
 * DB_SECRET_ARN, read again when the server rejects the password (rotation).
 */
export async function lambdaDb(config: DbConfig, read: SecretReader = secretReader()): Promise<Db> {
  if (config.connectionString !== undefined || config.secretArn === undefined)
    return createDb(config, logger);
  return createDb(config, logger, await secretDbCredentials(read, config.secretArn));
}

/**
 * Runs one invocation with its context on every log line (Lambda's request id, cold start, and the
 * `keys` given), and clears them afterwards so that nothing leaks into the next invocation.
 */
export async function inInvocation<T>(
  context: Context | undefined,
  keys: Record<string, unknown>,
  work: () => Promise<T>,
): Promise<T> {
  if (context) logger.powertools.addContext(context);
  logger.powertools.appendKeys(keys);
  try {
    return await work();
  } finally {
    logger.powertools.resetKeys();
  }
}

type App = (request: HttpRequest) => Promise<HttpResponse>;

/** An API Gateway (HTTP API, payload 2.0) handler around the shared app, built on first use. */
export function httpHandler(app: () => Promise<App>) {
  return (event: APIGatewayProxyEventV2, context?: Context): Promise<APIGatewayProxyStructuredResultV2> =>
    inInvocation(context, { apiRequestId: event.requestContext?.requestId }, async () => {
      const request = toHttpRequest(event);
      return toApiGatewayResult(await (await app())(request), request);
    });
}
