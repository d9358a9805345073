import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { openLocalDatabase, throwawayDataDir } from '../../src/local/database';
import { runningPostgres } from '../../src/local/embedded-pg';
import { silentLogger } from '../../src/logger';
import { type PostgresProcess, startPostgresProcess } from '../helpers/processes';

/**
 * One embedded PostgreSQL per data folder, whoever needs it. While a command (the CLI) runs the
 * folder's server for itself, the service does not stop it (as it stops one a killed run left): it
 * throws, and its own retries start the server once the command is done; another command is refused.
 * (Starting a server in this process is out of jest's reach, an ES module: that path is run by the
 * CLI's own tests, as a process.)
 */
jest.setTimeout(60_000);

let dir: string;
let command: PostgresProcess;
/** The Node.js process running the server: the command. */
let commandPid: number;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  dir = await throwawayDataDir('sparkpost-event-db-shared-');
  // Stands for a CLI process that started the server: a Node.js process, named by DATA_DIR/command.pid.
  command = await startPostgresProcess(join(dir, 'pg'), await freePort());
  const stat = readFileSync(`/proc/${command.postmasterPid}/stat`, 'utf8');
  commandPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  await writeFile(join(dir, 'command.pid'), `${commandPid}\n`);
});
afterAll(async () => {
  await command.stop();
  await rm(dir, { recursive: true, force: true });
});

it('the service does not stop the server a command runs: it says so (and its retries wait)', async () => {
  await expect(openLocalDatabase({ databaseUrl: undefined, dataDir: dir }, silentLogger)).rejects.toThrow(
    `a sparkpost-event-db command (pid ${commandPid}) is using the database of ${dir}`,
  );
  expect(await runningPostgres(join(dir, 'pg'))).toMatchObject({ pid: command.postmasterPid });
});

it('another command is refused, not given a second server', async () => {
  await expect(
    openLocalDatabase({ databaseUrl: undefined, dataDir: dir, share: true }, silentLogger),
  ).rejects.toThrow(`another sparkpost-event-db command (pid ${commandPid}) is using the embedded database`);
  expect(await runningPostgres(join(dir, 'pg'))).toMatchObject({ pid: command.postmasterPid });
});

describe('while the service is still bringing its database up', () => {
  let other: string;
  let idle: ChildProcess;
  let late: PostgresProcess | undefined;
  beforeAll(async () => {
    other = await throwawayDataDir('sparkpost-event-db-shared-starting-');
    // Stands for the service: a live Node.js process named by DATA_DIR/service.pid.
    idle = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    await writeFile(join(other, 'service.pid'), `${idle.pid}\n`);
  });
  afterAll(async () => {
    idle.kill();
    await late?.stop();
    await rm(other, { recursive: true, force: true });
  });

  it('a command waits for it, then says so when it does not come', async () => {
    await expect(
      openLocalDatabase(
        { databaseUrl: undefined, dataDir: other, share: true, serviceWaitMs: 300 },
        silentLogger,
      ),
    ).rejects.toThrow(`the service (pid ${idle.pid}) runs on ${other} but its embedded database is not up`);
    expect(await runningPostgres(join(other, 'pg'))).toBeUndefined();
  });

  it('a command waits for it and uses it once it is up', async () => {
    const opening = openLocalDatabase(
      { databaseUrl: undefined, dataDir: other, share: true, serviceWaitMs: 30_000 },
      silentLogger,
    );
    late = await startPostgresProcess(join(other, 'pg'), await freePort());
    const database = await opening;
    expect(database).toMatchObject({ embedded: true, shared: true });
    await database.stop(); // the service's server: not stopped by the command
    expect(await runningPostgres(join(other, 'pg'))).toMatchObject({ pid: late.postmasterPid });
  });
});
