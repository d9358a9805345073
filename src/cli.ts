import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadBatch, loadPending } from './core/load-batch';
import { createEventStore } from './db/load';
import { maintain } from './db/maintain';
import { migrate, readMigrations } from './db/migrate';
import { createDb } from './db/pool';
import { ConfigError } from './errors';
import { startEmbeddedPg } from './local/embedded-pg';
import { MIGRATIONS_DIR, readLocalConfig } from './local/service';
import { createLogger } from './logger';
import { localDirBatchStore } from './storage/local-dir';

const USAGE = `usage: npm run cli -- <command> [options]

commands (on the local data folder and database: DATA_DIR, DATABASE_URL or the embedded PostgreSQL):
  migrate              apply the SQL migrations in sql/
  maintain             create day partitions ahead; drop those past RETENTION_DAYS
  replay               load every stored raw batch the database does not know yet
  replay --all         forget which batches were loaded and load them all again (rows already
                       stored are kept: loading is idempotent), e.g. after restoring the database
  load <key>           load one stored batch, e.g. batches/<batch id>.json.gz
`;

/** Terminal commands on the same core code as the service: the way to rebuild from the raw batches. */
async function main(): Promise<number> {
  if (existsSync('.env')) process.loadEnvFile('.env');
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { all: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, argument] = positionals;
  if (values.help || !command || !['migrate', 'maintain', 'replay', 'load'].includes(command)) {
    process.stdout.write(USAGE);
    return values.help ? 0 : 2;
  }

  const logger = createLogger();
  const config = readLocalConfig(process.env);
  const embedded =
    config.databaseUrl === undefined ? await startEmbeddedPg(join(config.dataDir, 'pg'), logger) : undefined;
  const connectionString = config.databaseUrl ?? embedded?.connectionString;
  const db = createDb(
    { ...(connectionString ? { connectionString } : {}), poolMax: 2, statementTimeoutMs: 0, ssl: false },
    logger,
  );
  try {
    await migrate(db, await readMigrations(MIGRATIONS_DIR), logger);
    const deps = { store: localDirBatchStore(config.dataDir), events: createEventStore(db), logger };
    switch (command) {
      case 'maintain':
        await maintain(
          db,
          { daysAhead: config.partitionsAhead, retentionDays: config.retentionDays, now: Date.now() },
          logger,
        );
        break;
      case 'replay': {
        if (values.all) await db.query('DELETE FROM batches');
        const loaded = await loadPending(deps);
        process.stdout.write(`${loaded} batch(es) loaded\n`);
        break;
      }
      case 'load':
        if (!argument) {
          process.stdout.write(USAGE);
          return 2;
        }
        process.stdout.write(`${JSON.stringify(await loadBatch(argument, deps))}\n`);
        break;
    }
    return 0;
  } finally {
    await db.end();
    await embedded?.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : (error as Error).stack}\n`);
    process.exit(1);
  },
);
