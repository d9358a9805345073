import type { Readable } from 'node:stream';
import pg from 'pg';
import QueryStream from 'pg-query-stream';
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

/** What a streamed statement reads per round trip. */
interface StreamOptions {
  /** Rows the server-side cursor fetches per round trip, and at most the rows of each block yielded. */
  readonly batchSize: number;
}

/** A statement whose rows are read as they come, through a server-side cursor (the export). */
export interface Streamable {
  /**
   * The rows of `text`, in blocks of at most `batchSize`, read through a server-side cursor
   * (pg-query-stream) on a connection of its own, outside the pool: the next rows are fetched only when
   * the consumer asks for the next block (backpressure), so memory holds one block whatever the result's
   * size. The connection is not the pool's, so a long read never starves the short queries, and it is
   * named `sparkpost-event-db-export` in pg_stat_activity. Stopping the iteration early (`break`,
   * `return()`, a thrown error) closes the cursor and the connection; a cursor that does not close in
   * time (the server busy in a long step) has its statement cancelled first.
   *
   * Each fetch is one statement for `statement_timeout` (PostgreSQL times each Execute message), so a
   * long export is not cut by it; a fetch the server does not answer within the client-side timeout the
   * pool uses closes the connection (a frozen server). Errors are translated as the pool's are.
   */
  stream<R extends pg.QueryResultRow = pg.QueryResultRow>(
    text: string,
    values: readonly unknown[],
    options: StreamOptions,
  ): AsyncIterable<R[]>;
}

export interface Db extends Queryable, Streamable {
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
  const connection: pg.ClientConfig = {
    ...(config.connectionString !== undefined
      ? { connectionString: config.connectionString }
      : {
          host: config.host,
          port: config.port,
          database: config.database,
          ...(credentials ? { user: credentials.user, password: () => credentials.password() } : {}),
        }),
    connectionTimeoutMillis: 10_000,
    ...(config.statementTimeoutMs > 0 ? { statement_timeout: config.statementTimeoutMs } : {}),
    ...(config.ssl ? { ssl: { rejectUnauthorized: true } } : {}),
    // The session's role from its first statement on, as `SET ROLE` (the name is checked by the config).
    ...(config.role !== undefined ? { options: `-c role=${config.role}` } : {}),
  };
  const pool = new pg.Pool({
    ...connection,
    max: config.poolMax,
    idleTimeoutMillis: 30_000,
    // The server cancels a statement after statement_timeout; a frozen or partitioned server cannot, and
    // the client then gives up on its own a little later (only when a statement timeout is configured).
    ...(config.statementTimeoutMs > 0 ? { query_timeout: clientTimeoutMs(config.statementTimeoutMs) } : {}),
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

  /** A connection of its own for a stream (no query_timeout: pg would time the whole cursor by it). */
  const streamClient = async (): Promise<pg.Client> => {
    const attempt = async () => {
      const client = new pg.Client({ ...connection, application_name: STREAM_APPLICATION_NAME });
      // Errors of the connection reach the stream through its query; this only keeps them from crashing.
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (error) {
        await client.end().catch(() => undefined);
        throw error;
      }
      return client;
    };
    try {
      return await withFreshPassword(attempt);
    } catch (error) {
      throw translate(error);
    }
  };

  async function* stream<R extends pg.QueryResultRow>(
    text: string,
    values: readonly unknown[],
    { batchSize }: StreamOptions,
  ): AsyncGenerator<R[]> {
    const client = await streamClient();
    const started = performance.now();
    const rows = new QueryStream(text, values as unknown[], { batchSize });
    let count = 0;
    let finished = false;
    try {
      client.query(rows);
      const timeoutMs = config.statementTimeoutMs > 0 ? clientTimeoutMs(config.statementTimeoutMs) : 0;
      for (;;) {
        const block = await readBlock<R>(rows, batchSize, timeoutMs, () => {
          // The server did not answer a fetch in time: with the cursor active, end() drops the socket.
          void client.end().catch(() => undefined);
        });
        if (block === undefined) break;
        count += block.length;
        yield block;
      }
      finished = true;
    } catch (error) {
      throw translate(error);
    } finally {
      if (!finished) await closeCursor(rows, client, pool);
      await client.end().catch(() => undefined);
      logger.debug('sql stream', {
        sql: text.slice(0, 300),
        ms: Math.round(performance.now() - started),
        rows: count,
        finished,
      });
    }
  }

  return {
    query: (text, values) => run(pool, text, values),
    stream,
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

/** How a streaming connection shows in pg_stat_activity.application_name. */
export const STREAM_APPLICATION_NAME = 'sparkpost-event-db-export';
/** How long a stopped stream waits for its cursor to close before cancelling the statement. */
const CLOSE_GRACE_MS = 2000;

/** A fetch that did not complete within the client-side timeout (the server frozen or unreachable). */
class StreamTimeoutError extends Error {
  override readonly name = 'StreamTimeoutError';
}

/**
 * The rows the stream holds now (up to `max`), waiting for some when it holds none; undefined at its
 * end. Reading them with `read()` pulls the next fetch only when the buffer runs low: backpressure.
 * `onTimeout` runs when a wait lasts `timeoutMs` (0: no limit), and the read fails.
 */
async function readBlock<R>(
  rows: Readable,
  max: number,
  timeoutMs: number,
  onTimeout: () => void,
): Promise<R[] | undefined> {
  for (;;) {
    const block: R[] = [];
    for (let row = rows.read(); row !== null; row = block.length < max ? rows.read() : null) block.push(row);
    if (block.length > 0) return block;
    if (rows.errored) throw rows.errored;
    if (rows.readableEnded) return undefined;
    await new Promise<void>((resolve, reject) => {
      const timer =
        timeoutMs > 0
          ? setTimeout(() => {
              done();
              onTimeout();
              reject(new StreamTimeoutError(`no answer to a fetch within ${timeoutMs} ms`));
            }, timeoutMs)
          : undefined;
      const onError = (error: Error) => {
        done();
        reject(error);
      };
      const onReady = () => {
        done();
        resolve();
      };
      const done = () => {
        clearTimeout(timer);
        rows.off('readable', onReady).off('end', onReady).off('error', onError);
      };
      rows.once('readable', onReady).once('end', onReady).once('error', onError);
    });
  }
}

/**
 * Closes a cursor read only in part: destroying the stream closes its portal (the server stops the
 * statement between fetches). If that takes longer than CLOSE_GRACE_MS, the server is in the middle of a
 * long step (a sort): its statement is cancelled, so that it stops now rather than when it next looks.
 */
async function closeCursor(rows: Readable, client: pg.Client, pool: pg.Pool): Promise<void> {
  if (rows.closed) return; // failed, and closed with its error
  const closed = new Promise<boolean>((resolve) => rows.once('close', () => resolve(true)));
  rows.destroy();
  let timer: NodeJS.Timeout | undefined;
  const inTime = await Promise.race([
    closed,
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), CLOSE_GRACE_MS);
    }),
  ]);
  clearTimeout(timer);
  const pid = (client as unknown as { processID?: number }).processID;
  if (!inTime && pid !== undefined) {
    await pool.query('SELECT pg_cancel_backend($1)', [pid]).catch(() => undefined);
  }
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
  if (isClientTimeout(error) || error instanceof StreamTimeoutError) {
    return new UnavailableError('The database did not answer in time', { cause: error });
  }
  if (
    typeof code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|ENOTFOUND|EAI_AGAIN)$/.test(code)
  ) {
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
