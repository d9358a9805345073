import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Credentials generated on first start when the environment gives none; kept in DATA_DIR (mode 600). */
export interface GeneratedCredentials {
  readonly webhookUsername: string;
  readonly webhookPassword: string;
  readonly apiKey: string;
  readonly oauthClientId: string;
  readonly oauthClientSecret: string;
}

/** How each field is made. Secrets have no character that form encoding (OAuth's Basic) would change. */
const GENERATORS: { readonly [K in keyof GeneratedCredentials]: () => string } = {
  webhookUsername: () => 'sparkpost',
  webhookPassword: () => randomBytes(18).toString('base64url'),
  apiKey: () => randomBytes(20).toString('hex'),
  oauthClientId: () => 'sparkpost',
  oauthClientSecret: () => randomBytes(32).toString('base64url'),
};

/**
 * The credentials of `file`, with any field it lacks generated and saved beside the ones it has (a file
 * from an older version gains the new fields; nothing it holds is replaced). `generated` names the
 * fields made on this call: only those may be shown.
 */
export async function loadOrCreateCredentials(file: string): Promise<{
  credentials: GeneratedCredentials;
  created: boolean;
  generated: readonly (keyof GeneratedCredentials)[];
}> {
  let stored: Partial<Record<keyof GeneratedCredentials, unknown>> = {};
  let exists = true;
  try {
    stored = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    exists = false;
  }
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) {
    throw new Error(`${file} is not a JSON object of credentials`);
  }
  const generated: (keyof GeneratedCredentials)[] = [];
  const credentials = { ...stored } as Record<keyof GeneratedCredentials, string>;
  for (const [field, generate] of Object.entries(GENERATORS) as [
    keyof GeneratedCredentials,
    () => string,
  ][]) {
    const value = stored[field];
    if (typeof value === 'string' && value !== '') continue;
    credentials[field] = generate();
    generated.push(field);
  }
  if (generated.length > 0) {
    await mkdir(dirname(file), { recursive: true });
    // Whole or not at all: a start cut short must not leave the saved credentials half written.
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
    await rename(temporary, file);
  }
  return { credentials, created: !exists, generated };
}
