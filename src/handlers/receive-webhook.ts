import { S3Client } from '@aws-sdk/client-s3';
import { createApp, type WebhookAppDeps } from '../app';
import { s3BatchStore } from '../aws/s3-batch-store';
import { resolveSecrets } from '../aws/secrets';
import { loadConfig } from '../config';
import { warnIfAuthDisabled } from '../core/auth';
import { httpHandler, logger, refreshing, secretReader } from './lambda';

/**
 * ReceiveWebhookFunction: API Gateway (HTTP API) → authenticate, validate, store the raw batch in S3;
 * and `POST /oauth/token`, where SparkPost gets its access tokens. No database on this path: S3's
 * ObjectCreated event triggers the loader.
 */
export function createReceiveWebhookHandler(deps: WebhookAppDeps) {
  const app = createApp({ logger: deps.logger, webhook: deps });
  return httpHandler(async () => app);
}

/** What this function's cold start reads: configuration sections, and the secrets behind them. */
export const CONFIG = {
  sections: ['storage', 'webhook'],
  secrets: ['WEBHOOK_SECRET_ARN', 'WEBHOOK_OAUTH_SECRET_ARN'],
} as const;

/**
 * The webhook credentials are read again this often, so that a rotation (docs/SECURITY.md) reaches warm
 * execution environments within minutes without a deploy.
 */
export const CREDENTIALS_MAX_AGE_MS = 5 * 60_000;

let coldStart = true;
let s3: S3Client | undefined;

export const handler = httpHandler(
  refreshing(
    async () => {
      const env = await resolveSecrets(process.env, CONFIG.secrets, secretReader());
      const { storage, webhook } = loadConfig(env, CONFIG.sections, { target: 'aws' });
      if (coldStart) warnIfAuthDisabled(logger, { webhook: webhook.auth.disabled });
      coldStart = false;
      s3 ??= new S3Client({});
      return createApp({ logger, webhook: { ...webhook, store: s3BatchStore(s3, storage.bucket), logger } });
    },
    { maxAgeMs: CREDENTIALS_MAX_AGE_MS },
  ),
);
