import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { describe } from '../core/load-batch';
import {
  EVENTS_API_PATH,
  HEALTH_PATH,
  LOOKUP_PAGE_PATH,
  OAUTH_TOKEN_PATH,
  WEBHOOK_PATH,
} from '../core/paths';
import { ConfigError } from '../errors';
import { createLogger } from '../logger';
import { LOCAL_SECTIONS, type LocalService, type LocalServiceConfig, startLocalService } from './service';

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
  // The webhook already answers; give the database a moment so that the banner can say it is ready.
  await Promise.race([service.ready, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  process.stdout.write(`${banner(service, config).join('\n')}\n`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    try {
      await service.stop();
      process.exit(0);
    } catch (error) {
      logger.error('stop failed', { error: describe(error) });
      process.exit(1);
    }
  };
  // `on`, not `once`: a terminal's Ctrl-C may reach the process twice (from the terminal and relayed by
  // npm), and a second default SIGINT would kill it mid-stop, leaving PostgreSQL running.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

const INDENT = ' '.repeat(19);

/** The webhook's authentication methods, as SparkPost's webhook form asks for them. */
function webhookLines(service: LocalService, show: (secret: string) => string): string[] {
  const { disabled, basic, oauth, header, token } = service.webhookAuth;
  if (disabled) return [`${INDENT}authentication disabled (AUTH_DISABLED)`];
  const rotating = (previous: unknown, name: string) => (previous === undefined ? '' : `  (+ ${name})`);
  return [
    ...(basic
      ? [
          `${INDENT}Basic Auth  username: ${basic.username}  password: ${show(basic.password)}` +
            rotating(basic.previousPassword, 'WEBHOOK_PASSWORD_PREVIOUS'),
        ]
      : []),
    ...(oauth
      ? [
          `${INDENT}OAuth 2.0   client ID: ${oauth.clientId}  client secret: ${show(oauth.clientSecret)}` +
            rotating(oauth.previousClientSecret, 'WEBHOOK_OAUTH_CLIENT_SECRET_PREVIOUS'),
          `${INDENT}            token URL: ${service.url}${OAUTH_TOKEN_PATH}  (tokens last ${service.tokenTtlSeconds} s)`,
        ]
      : []),
    ...(header
      ? [
          `${INDENT}header      ${header.name}: ${show(header.value)}${rotating(header.previous, 'WEBHOOK_HEADER_PREVIOUS')}`,
        ]
      : []),
    ...(token ? [`${INDENT}token       Bearer or X-MessageSystems-Webhook-Token: ${show(token)}`] : []),
  ];
}

/** What to tell the user: where things are, and credentials only when they were just generated. */
function banner(service: LocalService, config: LocalServiceConfig): string[] {
  const { apiAuth, credentialsCreated, generatedSecrets } = service;
  const credentialsFile = join(config.local.dataDir, 'credentials.json');
  const database = service.database();
  const show = (secret: string) =>
    generatedSecrets.includes(secret) ? secret : `(in ${credentialsFile} or your environment)`;
  const apiLine = apiAuth.disabled
    ? `${INDENT}authentication disabled (AUTH_DISABLED)`
    : `${INDENT}header  Authorization: ${show(apiAuth.apiKeys[0] ?? '')}`;
  return [
    '',
    `sparkpost-event-db is running (data in ${config.local.dataDir})`,
    database
      ? `  Database:        ready (${database.embedded ? `embedded PostgreSQL, data in ${database.pgDataDir}` : 'DATABASE_URL'})`
      : '  Database:        not reachable yet: batches are stored and load once it is (see the log, or /health)',
    '',
    `  Webhook target:  POST ${service.url}${WEBHOOK_PATH}`,
    ...webhookLines(service, show),
    `  Events API:      GET  ${service.url}${EVENTS_API_PATH}`,
    apiLine,
    `  Health:          GET  ${service.url}${HEALTH_PATH}`,
    `  Lookup page:     ${service.url}${LOOKUP_PAGE_PATH}  (in a browser, with an API key)`,
    '',
    generatedSecrets.length > 0
      ? `  (generated credentials ${credentialsCreated ? 'saved' : 'added'} in ${credentialsFile})\n`
      : '',
    'Ctrl-C stops it.',
    '',
  ];
}

main().catch((error: unknown) => {
  process.stderr.write(`failed to start: ${describe(error)}\n`);
  process.exit(1);
});
