import { type CustomResourceOptions, customResourceHandler } from '../aws/custom-resource';
import { loadConfig } from '../config';
import { type Migration, migrate } from '../db/migrate';
import { MIGRATIONS } from '../db/migrations';
import type { Db } from '../db/pool';
import type { Logger } from '../logger';
import { lambdaDb, logger } from './lambda';

/** The custom resource's id: one schema per stack, whatever the deploy. */
export const SCHEMA_RESOURCE_ID = 'sparkpost-event-db-schema';

/**
 * MigrateFunction: the `DatabaseSchema` custom resource. Create and Update apply the migrations (each
 * once, under an advisory lock); Delete and a rollback's Update change nothing, since the data outlives
 * the stack's resources and migrations only go forward.
 */
export function createMigrateHandler(
  deps: { openDb(): Promise<Db>; readonly migrations: readonly Migration[]; readonly logger: Logger } & Pick<
    CustomResourceOptions,
    'respond' | 'safetyMarginMs'
  >,
) {
  const data = (applied: readonly string[]) => ({
    Applied: applied.join(','),
    Count: String(applied.length),
  });
  return customResourceHandler({
    ...deps,
    physicalResourceId: SCHEMA_RESOURCE_ID,
    unchanged: data([]),
    async apply() {
      const db = await deps.openDb();
      try {
        return data(await migrate(db, deps.migrations, deps.logger));
      } finally {
        await db.end();
      }
    },
  });
}

/** What this function reads: configuration sections, and the secrets behind them. */
export const CONFIG = { sections: ['db'], secrets: [] } as const;

export const handler = createMigrateHandler({
  openDb: () => lambdaDb(loadConfig(process.env, CONFIG.sections, { target: 'aws' }).db),
  migrations: MIGRATIONS,
  logger,
});
