import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createApp } from '../app';
import type { ApiAuthConfig } from '../config';
import type { SearchDeps } from '../core/query/search';
import { createEventReader } from '../db/read';
import type { Logger } from '../logger';
import { toApiGatewayResult, toHttpRequest } from './api-gateway';
import { apiAuthFromEnv, dbFromEnv, logger, once } from './runtime';

/** QueryEventsFunction: API Gateway (HTTP API) → the SparkPost-compatible query endpoints. */
export function createQueryEventsHandler(
  deps: SearchDeps & { readonly auth: ApiAuthConfig; readonly logger: Logger },
) {
  const app = createApp({ logger: deps.logger, query: deps });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
    toApiGatewayResult(await app(toHttpRequest(event)));
}

const build = once(async () =>
  createQueryEventsHandler({
    reader: createEventReader(await dbFromEnv(process.env)),
    now: Date.now,
    auth: await apiAuthFromEnv(process.env),
    logger,
  }),
);

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  (await build())(event);
