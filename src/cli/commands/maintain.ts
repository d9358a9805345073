import { loadConfig } from '../../config';
import { maintain } from '../../db/maintain';
import { type Command, EXIT, UsageError } from '../command';
import { cliLogger } from '../log';

const HELP = `usage: sparkpost-event-db maintain [--json]

What the service runs every MAINTAIN_INTERVAL_SECONDS (and AWS on its schedule): creates the day
partitions of today and PARTITIONS_AHEAD_DAYS days ahead, and with RETENTION_DAYS set drops the days
older than that (their events and bodies, then the dictionary entries no kept day uses). Safe while the
service runs and loads. Prints the days created and dropped.

examples:
  sparkpost-event-db maintain
  RETENTION_DAYS=30 sparkpost-event-db maintain --json

exit codes: 0 done; 1 it failed (e.g. the database is unreachable); 2 a usage mistake.
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
    const { maintenance } = loadConfig(context.env, ['maintenance']);
    const db = await context.database();
    const logger = cliLogger(context.env, context.stderr);
    const result = await maintain(db, { ...maintenance, now: Date.now() }, logger);
    const created = result.created;
    const dropped = result.dropped.map(dayOf);
    if (context.json) {
      const document = {
        created,
        dropped,
        daysAhead: maintenance.daysAhead,
        retentionDays: maintenance.retentionDays,
      };
      context.stdout.write(`${JSON.stringify(document)}\n`);
      return EXIT.ok;
    }
    const list = (days: readonly string[]) => (days.length === 0 ? 'none' : days.join(', '));
    context.stdout.write(
      [
        `partitions created: ${list(created)} (PARTITIONS_AHEAD_DAYS=${maintenance.daysAhead})`,
        maintenance.retentionDays > 0
          ? `partitions dropped: ${list(dropped)} (RETENTION_DAYS=${maintenance.retentionDays})`
          : 'partitions dropped: none (RETENTION_DAYS=0 keeps every day)',
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  },
};
