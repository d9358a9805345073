import { rm } from 'node:fs/promises';
import type { LocalDatabase } from '../../src/local/database';

export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __testDatabase?: LocalDatabase }).__testDatabase?.stop();
  const dir = process.env.TEST_DATA_DIR;
  if (dir) await rm(dir, { recursive: true, force: true });
}
