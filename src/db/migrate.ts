import type { Logger } from '../logger';
import type { Db } from './pool';

/** Any constant works; it only has to be the same for every process migrating this database. */
const MIGRATION_LOCK = 7_262_817_001;

export interface Migration {
  readonly version: string;
  readonly sql: string;
}

/**
 * Applies the migrations not yet applied, each in its own transaction, under a session advisory lock so
 * that concurrent starts (several local processes, or a deploy racing a Lambda) apply each one once.
 * Refuses to run when the database holds a migration this code does not know: it was migrated by a
 * newer version, and an older one must not write to it. Returns the versions applied now.
 */
export async function migrate(db: Db, migrations: readonly Migration[], logger: Logger): Promise<string[]> {
  return db.withClient(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
      );
      const done = new Set(
        (await client.query<{ version: string }>('SELECT version FROM schema_migrations')).rows.map(
          (r) => r.version,
        ),
      );
      const known = new Set(migrations.map((migration) => migration.version));
      const unknown = [...done].filter((version) => !known.has(version)).sort();
      if (unknown.length > 0) {
        throw new Error(
          `the database has migration(s) ${unknown.join(', ')}, which this version does not know: ` +
            'it was migrated by a newer version of sparkpost-event-db; run that version (or newer)',
        );
      }
      const applied: string[] = [];
      for (const migration of migrations) {
        if (done.has(migration.version)) continue;
        await client.query('BEGIN');
        try {
          await client.query(migration.sql);
          await client.query('INSERT INTO schema_migrations (version) VALUES ($1)', [migration.version]);
          await client.query('COMMIT');
        } catch (error) {
          await client.query('ROLLBACK');
          throw new Error(`migration ${migration.version} failed: ${(error as Error).message}`, {
            cause: error,
          });
        }
        logger.info('migration applied', { version: migration.version });
        applied.push(migration.version);
      }
      return applied;
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}
