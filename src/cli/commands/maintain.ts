import { loadConfig } from '../../config';
import { reconcile } from '../../core/reconcile';
import { createEventStore } from '../../db/event-store';
import { maintain } from '../../db/maintain';
import { dirBatchStore } from '../../local/dir-batch-store';
import { type Command, EXIT, UsageError } from '../command';
import { cliLogger } from '../log';

const HELP = `usage: sparkpost-event-db maintain [--json]

What the service runs every MAINTAIN_INTERVAL_SECONDS (and AWS on its schedule): creates the day
partitions of today and PARTITIONS_AHEAD_DAYS days ahead, and with RETENTION_DAYS set drops the days
older than that (their events and bodies, then the dictionary entries no kept day uses). Then it
reconciles: the raw batches of DATA_DIR/batches stored in the last RECONCILE_DAYS days (14; 0: none)
that the database does not know are loaded. Safe while the service runs and loads. Prints the days
created and dropped and the batches reconciled.

examples:
  sparkpost-event-db maintain
  RETENTION_DAYS=30 sparkpost-event-db maintain --json

exit codes: 0 done; 1 it failed (e.g. the database is unreachable, or a batch could not be loaded);
2 a usage mistake.
`;

/** events_20261127 → 2026-11-27 */
const dayOf = (partition: string) => partition.replace(/^events_(\d{4})(\d{2})(\d{2})$/, '$1-$2-$3');

export const maintainCommand: Command = {
  name: 'maintain',
  summary: 'create day partitions ahead, drop the days past RETENTION_DAYS',
  help: HELP,
  options: {},
  async run(context) {
    if (context.positionals.length > 0)
      throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
    const { maintenance, local } = loadConfig(context.env, ['maintenance', 'local']);
    const db = await context.database();
    const logger = cliLogger(context.env, context.stderr);
    const result = await maintain(db, { ...maintenance, now: Date.now() }, logger);
    const created = result.created;
    const dropped = result.dropped.map(dayOf);
    const reconciled =
      maintenance.reconcileDays > 0
        ? await reconcile(
            {
              store: dirBatchStore(local.dataDir),
              events: createEventStore(db),
              logger,
              retention: { days: maintenance.retentionDays, now: Date.now },
            },
            { windowDays: maintenance.reconcileDays, now: Date.now() },
          )
        : undefined;
    const code =
      reconciled && (reconciled.failed.length > 0 || reconciled.notTried > 0) ? EXIT.failed : EXIT.ok;
    if (context.json) {
      const document = {
        created,
        dropped,
        daysAhead: maintenance.daysAhead,
        retentionDays: maintenance.retentionDays,
        reconcileDays: maintenance.reconcileDays,
        ...(reconciled ? { reconciled } : {}),
      };
      context.stdout.write(`${JSON.stringify(document)}\n`);
      return code;
    }
    const list = (days: readonly string[]) => (days.length === 0 ? 'none' : days.join(', '));
    context.stdout.write(
      [
        `partitions created: ${list(created)} (PARTITIONS_AHEAD_DAYS=${maintenance.daysAhead})`,
        maintenance.retentionDays > 0
          ? `partitions dropped: ${list(dropped)} (RETENTION_DAYS=${maintenance.retentionDays})`
          : 'partitions dropped: none (RETENTION_DAYS=0 keeps every day)',
        reconciled
          ? `batches reconciled: ${reconciled.checked} stored in the last ${maintenance.reconcileDays} days, ` +
            `${reconciled.pending} not loaded before, ${reconciled.loaded} loaded now, ${reconciled.rejected} rejected, ` +
            `${reconciled.failed.length + reconciled.notTried} left (RECONCILE_DAYS=${maintenance.reconcileDays})`
          : 'batches reconciled: none (RECONCILE_DAYS=0)',
        ...(reconciled?.failed ?? []).map(({ key, error }) => `  not loaded: ${key}: ${error}`),
        '',
      ].join('\n'),
    );
    return code;
  },
};
