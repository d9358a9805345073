import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Credentials generated on first start when the environment gives none; kept in DATA_DIR (mode 600). */
export interface GeneratedCredentials {
  readonly webhookUsername: string;
  readonly webhookPassword: string;
  readonly apiKey: string;
}

export async function loadOrCreateCredentials(
  file: string,
): Promise<{ credentials: GeneratedCredentials; created: boolean }> {
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as GeneratedCredentials;
    if (stored.webhookUsername && stored.webhookPassword && stored.apiKey)
      return { credentials: stored, created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const credentials: GeneratedCredentials = {
    webhookUsername: 'sparkpost',
    webhookPassword: randomBytes(18).toString('base64url'),
    apiKey: randomBytes(20).toString('hex'),
  };
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  return { credentials, created: true };
}
