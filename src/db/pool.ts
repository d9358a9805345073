import pg from 'pg';
import type { DbConfig } from '../config';
import { UnavailableError } from '../errors';
import type { Logger } from '../logger';

/**
 * The only module that owns PostgreSQL connections and translates PostgreSQL errors. Query text and
 * duration are logged at debug level, values never (they hold email addresses).
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

/**
 * A user name and a password that may change while the process runs (an RDS-managed secret rotates).
 * pg asks for the password for every new connection; after `invalidate()` it is read afresh.
 */
export interface DbCredentials {
  readonly user: string;
  password(): Promise<string>;
  invalidate(): void;
}

/**
 * SQLSTATEs that mean "the database cannot serve this right now", not "your query is wrong": connection
 * (08), resources (53), shutdown (57P0x). 57014 query_canceled (the statement timeout) is one too: the
 * query may well succeed later (503, retried by SparkPost's clients and by the loader).
 */
const UNAVAILABLE = /^(08|53|57P0)/;
const QUERY_CANCELED = '57014';
/** What pg rejects a query with when its client-side `query_timeout` passes without an answer. */
const CLIENT_TIMEOUT = 'Query read timeout';
/**
 * How much longer than the server's statement timeout the client waits: enough for the server's own
 * cancellation to arrive first, so the client-side timeout only fires when the server cannot answer.
 */
export const clientTimeoutMs = (statementTimeoutMs: number) =>
  statementTimeoutMs + Math.max(1000, Math.round(statementTimeoutMs / 10));
/** SQLSTATE 23514 check_violation: a row outside every partition's range (e.g. a partition dropped). */
export const CHECK_VIOLATION = '23514';
/** SQLSTATE 28P01 invalid_password: the password changed (rotation) since it was read. */
const INVALID_PASSWORD = '28P01';

/**
 * A pool on `config`: its connection string, or its host with `credentials`. When the server rejects the
 * password, the credentials are invalidated and the operation runs once more: authentication fails
 * before any statement runs, so the retry is safe.
 */
export function createDb(
  config: Pick<DbConfig, 'connectionString' | 'host' | 'poolMax' | 'statementTimeoutMs' | 'ssl'> &
    Partial<Pick<DbConfig, 'port' | 'database' | 'role'>>,
  logger: Logger,
  credentials?: DbCredentials,
): Db {
  const pool = new pg.Pool({
    ...(config.connectionString !== undefined
      ? { connectionString: config.connectionString }
      : {
          host: config.host,
          port: config.port,
          database: config.database,
          ...(credentials ? { user: credentials.user, password: () => credentials.password() } : {}),
        }),
    max: config.poolMax,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
    // The server cancels a statement after statement_timeout; a frozen or partitioned server cannot, and
    // the client then gives up on its own a little later (only when a statement timeout is configured).
    ...(config.statementTimeoutMs > 0
      ? {
          statement_timeout: config.statementTimeoutMs,
          query_timeout: clientTimeoutMs(config.statementTimeoutMs),
        }
      : {}),
    ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    // The session's role from its first statement on, as `SET ROLE` (the name is checked by the config).
    ...(config.role !== undefined ? { options: `-c role=${config.role}` } : {}),
    application_name: 'sparkpost-event-db',
  });
  // An idle client losing its connection must not crash the process; the next query reconnects. Once
  // `end()` is called, pg closes idle connections without waiting for them: a server stopped right
  // after (the embedded one) may still cut one, which is no news.
  let ending = false;
  pool.on('error', (error) => {
    if (!ending) logger.warn('idle database connection lost', { error: error.message });
  });

  /** Runs `attempt`; if the server rejected the password, invalidates it and runs `attempt` once more. */
  const withFreshPassword = async <T>(attempt: () => Promise<T>): Promise<T> => {
    try {
      return await attempt();
    } catch (error) {
      if (!credentials || (error as { code?: unknown }).code !== INVALID_PASSWORD) throw error;
      logger.warn('database password rejected; reading the secret again');
      credentials.invalidate();
      return attempt();
    }
  };

  /**
   * Clients whose query timed out on the client side: the server may still be running it (or be frozen),
   * so the connection is closed instead of going back to the pool, where the next query would wait behind
   * the stuck one.
   */
  const stuck = new WeakSet<pg.PoolClient>();
  const release = (client: pg.PoolClient) => client.release(stuck.has(client));

  const run = async <R extends pg.QueryResultRow>(
    client: pg.Pool | pg.PoolClient,
    text: string,
    values?: readonly unknown[],
  ): Promise<pg.QueryResult<R>> => {
    const started = performance.now();
    let rows: number | null | undefined;
    try {
      const result = await withFreshPassword(() => client.query<R>(text, values as unknown[] | undefined));
      rows = result.rowCount;
      return result;
    } catch (error) {
      if (client !== pool && isClientTimeout(error)) stuck.add(client as pg.PoolClient);
      throw translate(error);
    } finally {
      logger.debug('sql', { sql: text.slice(0, 300), ms: Math.round(performance.now() - started), rows });
    }
  };

  const connect = async (): Promise<pg.PoolClient> => {
    try {
      return await withFreshPassword(() => pool.connect());
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
        if (isClientTimeout(error)) stuck.add(client);
        // A stuck connection would not answer ROLLBACK either; closing it rolls back on the server.
        if (!stuck.has(client)) await client.query('ROLLBACK').catch(() => undefined);
        throw translate(error);
      } finally {
        release(client);
      }
    },
    async withClient(work) {
      const client = await connect();
      try {
        return await work({ query: (text, values) => run(client, text, values) });
      } finally {
        release(client);
      }
    },
    end: () => {
      ending = true;
      return pool.end();
    },
  };
}

function isClientTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === CLIENT_TIMEOUT;
}

function translate(error: unknown): unknown {
  if (error instanceof UnavailableError) return error;
  const code = (error as { code?: unknown }).code;
  if (code === QUERY_CANCELED) {
    return new UnavailableError('The query was cancelled (statement timeout)', { cause: error });
  }
  if (typeof code === 'string' && UNAVAILABLE.test(code)) {
    return new UnavailableError('The database is unavailable', { cause: error });
  }
  if (isClientTimeout(error)) {
    return new UnavailableError('The database did not answer in time', { cause: error });
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
