import { existsSync } from 'node:fs';
import { loadConfig } from '../config';
import { EVENTS_API_PATH, WEBHOOK_PATH } from '../core/paths';
import { ConfigError } from '../errors';
import { createLogger } from '../logger';
import { LOCAL_SECTIONS, type LocalServiceConfig, startLocalService } from './service';

/**
 * `npm start`: the whole pipeline on one machine. Configuration comes from the environment and an
 * optional `.env` (variables already set win). Ctrl-C stops PostgreSQL cleanly; the next start reuses
 * the data.
 */
async function main(): Promise<void> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  let config: LocalServiceConfig;
  try {
    config = loadConfig(process.env, LOCAL_SECTIONS);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.logging.level);

  const service = await startLocalService(config, logger);
  const { webhookAuth, apiAuth } = service;
  const lines = [
    '',
    `sparkpost-event-db is running (${service.usingEmbeddedPg ? 'embedded PostgreSQL' : 'DATABASE_URL'}, data in ${config.local.dataDir})`,
    '',
    `  Webhook target:  POST ${service.url}${WEBHOOK_PATH}`,
    webhookAuth.disabled
      ? '                   authentication disabled (AUTH_DISABLED)'
      : webhookAuth.basic
        ? `                   Basic auth  user: ${webhookAuth.basic.username}  password: ${webhookAuth.basic.password}`
        : '                   token auth (WEBHOOK_TOKEN)',
    `  Events API:      GET  ${service.url}${EVENTS_API_PATH}`,
    apiAuth.disabled
      ? '                   authentication disabled (AUTH_DISABLED)'
      : `                   header  Authorization: ${apiAuth.apiKeys[0]}`,
    '',
    service.credentialsCreated
      ? `  (generated credentials saved in ${config.local.dataDir}/credentials.json)\n`
      : '',
    'Ctrl-C stops it.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    try {
      await service.stop();
      process.exit(0);
    } catch (error) {
      logger.error('stop failed', { error: (error as Error).message });
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
