import { rm } from 'node:fs/promises';
import type { EmbeddedPg } from '../../src/local/embedded-pg';

export default async function globalTeardown(): Promise<void> {
  const pg = (globalThis as { __embeddedPg?: EmbeddedPg }).__embeddedPg;
  if (!pg) return;
  await pg.stop();
  const dir = process.env.TEST_EMBEDDED_PG_DIR;
  if (dir) await rm(dir, { recursive: true, force: true });
}
