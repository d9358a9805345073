import { convertV1 } from '../../db/convert-v1';
import { createEventStore } from '../../db/event-store';
import { MIGRATIONS } from '../../db/migrations';
import { type Command, EXIT, UsageError } from '../command';
import { migrationsApplied } from '../database';
import { plural } from '../format';
import { cliLogger } from '../log';

const HELP = `usage: sparkpost-event-db migrate [--json]

Brings the database up to this version: applies the SQL migrations (sql/) it lacks — every command
does that first, as the service does at start — and converts the events of storage v1 (databases of
versions before storage v2) into v2, a day at a time; the service also does that in the background, this
does it now and waits. Safe to run again: nothing is applied or converted twice.

examples:
  sparkpost-event-db migrate
  DATABASE_URL=postgresql://user:pw@db.example.com:5432/events sparkpost-event-db migrate --json

exit codes: 0 done; 1 it failed (e.g. the database is unreachable, or newer than this version); 2 a
usage mistake.
`;

export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply the SQL migrations, convert storage v1 events',
  help: HELP,
  options: {},
  async run(context) {
    if (context.positionals.length > 0)
      throw new UsageError(`unexpected argument "${context.positionals[0]}"`);
    const db = await context.database();
    const applied = migrationsApplied(db);
    const logger = cliLogger(context.env, context.stderr);
    const conversion = await convertV1(db, createEventStore(db), logger);
    const schema = MIGRATIONS.at(-1)?.version ?? '';
    if (context.json) {
      const document = { schema, applied, convertedV1Events: conversion.converted };
      context.stdout.write(`${JSON.stringify(document)}\n`);
      return EXIT.ok;
    }
    context.stdout.write(
      [
        `schema: ${schema} (${plural(MIGRATIONS.length, 'migration')})`,
        `applied now: ${applied.length === 0 ? 'none, the schema was up to date' : applied.join(', ')}`,
        `storage v1 events converted: ${conversion.converted}`,
        '',
      ].join('\n'),
    );
    return EXIT.ok;
  },
};
