import pg from 'pg';
import type { DbConfig } from '../config';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';

/**
 * The only module that owns PostgreSQL connections. Standard `DATABASE_URL` / `PG*` configuration;
 * query text and duration are logged at debug level, values never (they hold email addresses).
 */
export interface Queryable {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>>;
}

export interface Db extends Queryable {
  /** Runs `work` in one transaction on one connection: COMMIT when it resolves, ROLLBACK when it throws. */
  transaction<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
  /** Runs `work` on one connection outside a transaction (e.g. for session-level advisory locks). */
  withClient<T>(work: (client: Queryable) => Promise<T>): Promise<T>;
  end(): Promise<void>;
}

/** SQLSTATE classes that mean "the database is not reachable right now", not "your query is wrong". */
const UNAVAILABLE = /^(08|53|57P0)/;

export function createDb(config: DbConfig, logger: Logger): Db {
  const pool = new pg.Pool({
    ...(config.connectionString !== undefined ? { connectionString: config.connectionString } : {}),
    max: config.poolMax,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
    ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    application_name: 'sparkpost-event-db',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', (error) => logger.warn('idle database connection lost', { error: error.message }));

  const run = async <R extends pg.QueryResultRow>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> => {
    const started = performance.now();
    try {
      return await client.query<R>(text, values as unknown[] | undefined);
    } catch (error) {
      throw translate(error);
    } finally {
      logger.debug('sql', { sql: text.slice(0, 300), ms: Math.round(performance.now() - started) });
    }
  };

  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await pool.connect();
    } catch (error) {
      throw translate(error);
    }
  };

  return {
    query: (text, values) => run(pool, text, values),
    async transaction(work) {
      const client = await connect();
      const scoped: Queryable = { query: (text, values) => run(client, text, values) };
      try {
        await client.query('BEGIN');
        const result = await work(scoped);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw translate(error);
      } finally {
        client.release();
      }
    },
    async withClient(work) {
      const client = await connect();
      try {
        return await work({ query: (text, values) => run(client, text, values) });
      } finally {
        client.release();
      }
    },
    end: () => pool.end(),
  };
}

function translate(error: unknown): unknown {
  if (error instanceof UnavailableError) return error;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new UnavailableError('The database is unavailable', { cause: error });
  }
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)$/.test(code)) {
    return new UnavailableError('The database is unreachable', { cause: error });
  }
  if (
    error instanceof Error &&
    /timeout exceeded when trying to connect|Connection terminated/i.test(error.message)
  ) {
    return new UnavailableError('The database is unreachable', { cause: error });
  }
  return error;
}
