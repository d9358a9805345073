import { S3Client } from '@aws-sdk/client-s3';
import { createApp, type WebhookAppDeps } from '../app';
import { s3BatchStore } from '../aws/s3-batch-store';
import { resolveSecrets } from '../aws/secrets';
import { loadConfig } from '../config';
import { httpHandler, logger, once, secretReader } from './lambda';

/**
 * ReceiveWebhookFunction: API Gateway (HTTP API) → authenticate, validate, store the raw batch in S3.
 * No database on this path: S3's ObjectCreated event triggers the loader.
 */
export function createReceiveWebhookHandler(deps: WebhookAppDeps) {
  const app = createApp({ logger: deps.logger, webhook: deps });
  return httpHandler(async () => app);
}

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['storage', 'webhook'], secrets: ['WEBHOOK_SECRET_ARN'] } as const;

export const handler = httpHandler(
  once(async () => {
    const env = await resolveSecrets(process.env, CONFIG.secrets, secretReader());
    const { storage, webhook } = loadConfig(env, CONFIG.sections, { target: 'aws' });
    const store = s3BatchStore(new S3Client({}), storage.bucket);
    return createApp({ logger, webhook: { ...webhook, store, logger } });
  }),
);
