import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { describe, loadBatch } from './core/load-batch';
import { planReplay, replayFailed, runReplay } from './core/replay';
import { convertV1 } from './db/convert-v1';
import { createEventStore } from './db/event-store';
import { maintain } from './db/maintain';
import { migrate } from './db/migrate';
import { MIGRATIONS } from './db/migrations';
import { ConfigError } from './errors';
import { connectLocalDatabase } from './local/database';
import { dirBatchStore } from './local/dir-batch-store';
import { createLogger } from './logger';

const USAGE = `usage: npm run cli -- <command> [options]

commands (on the local data folder and database: DATA_DIR, DATABASE_URL or the embedded PostgreSQL):
  migrate              apply the SQL migrations in sql/
  maintain             create day partitions ahead; drop those past RETENTION_DAYS
  replay               load every stored raw batch the database does not know yet
  replay --all         load every stored batch again, updating its record (rows already stored
                       are kept: loading is idempotent), e.g. after restoring the database
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

  const config = loadConfig(process.env, ['local', 'db', 'maintenance', 'logging']);
  const logger = createLogger(config.logging.level);
  const database = await connectLocalDatabase(config.db, config.local.dataDir, logger);
  const { db } = database;
  try {
    await migrate(db, MIGRATIONS, logger);
    const events = createEventStore(db);
    if (command === 'migrate') {
      const report = await convertV1(db, events, logger);
      if (report.converted > 0)
        process.stdout.write(`${report.converted} v1 event(s) converted to storage v2\n`);
    }
    const deps = {
      store: dirBatchStore(config.local.dataDir),
      events,
      logger,
      retention: { days: config.maintenance.retentionDays, now: Date.now },
    };
    switch (command) {
      case 'maintain':
        await maintain(db, { ...config.maintenance, now: Date.now() }, logger);
        break;
      case 'replay': {
        const storedAt = async (key: string) => (await deps.store.get(key)).storedAt;
        const plan = await planReplay(values.all ? { all: true } : { status: 'pending' }, {
          ...deps,
          storedAt,
        });
        const { batches } = await runReplay(plan, deps);
        process.stdout.write(
          `${batches.loaded} batch(es) loaded, ${batches.rejected.length} rejected, ${batches.failed.length} failed\n`,
        );
        for (const { batchId, error } of batches.failed)
          process.stdout.write(`  failed: ${batchId}: ${error}\n`);
        if (batches.notTried > 0) {
          process.stdout.write(`${batches.notTried} batch(es) not tried: the database became unavailable\n`);
        }
        return replayFailed({
          batches,
          events: { found: 0, inserted: 0, duplicates: 0, expired: 0, rejected: {} },
        })
          ? 1
          : 0;
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
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : describe(error)}\n`);
    process.exit(1);
  },
);
