import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { createApp } from '../app';
import type { WebhookDeps } from '../core/webhook';
import { toApiGatewayResult, toHttpRequest } from './api-gateway';
import { logger, once, storeFromEnv, webhookSettingsFromEnv } from './runtime';

/**
 * ReceiveWebhookFunction: API Gateway (HTTP API) → authenticate, validate, store the raw batch in S3.
 * No database on this path: S3's ObjectCreated event triggers the loader.
 */
export function createReceiveWebhookHandler(deps: WebhookDeps) {
  const app = createApp({ logger: deps.logger, webhook: deps });
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
    toApiGatewayResult(await app(toHttpRequest(event)));
}

const build = once(async () =>
  createReceiveWebhookHandler({
    store: storeFromEnv(process.env),
    ...(await webhookSettingsFromEnv(process.env)),
    logger,
  }),
);

export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> =>
  (await build())(event);
