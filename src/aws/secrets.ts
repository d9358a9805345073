import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { type Env, SECRET_VARIABLES } from '../config';
import type { DbCredentials } from '../db/pool';
import { ConfigError } from '../errors';

/**
 * Secrets Manager, as the Lambda functions use it. Secrets never sit in the environment on AWS: it holds
 * the ARNs, read here at cold start and kept in memory only (never written back to `process.env`, never
 * logged). Errors name the secret, never echo its content.
 */

/** Reads a secret's string value by ARN (Secrets Manager on AWS; tests pass their own). */
export type SecretReader = (secretId: string) => Promise<string>;

/** Secrets Manager through the SDK; inside the VPC its interface endpoint answers. */
export function secretsManagerReader(client: Pick<SecretsManagerClient, 'send'>): SecretReader {
  return async (secretId) => {
    const result = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (result.SecretString === undefined) throw new ConfigError([`secret ${secretId} has no string value`]);
    return result.SecretString;
  };
}

/** A secret holding a JSON object. */
async function readJsonSecret(read: SecretReader, secretId: string): Promise<Record<string, unknown>> {
  const text = await read(secretId);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // JSON.parse's message quotes the input: it must not reach a log.
    throw new ConfigError([`secret ${secretId} is not a JSON object`]);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError([`secret ${secretId} is not a JSON object`]);
  }
  return value as Record<string, unknown>;
}

/**
 * The environment with the values of each configured secret (SECRET_VARIABLES: `WEBHOOK_SECRET_ARN`,
 * `WEBHOOK_OAUTH_SECRET_ARN`, `API_KEYS_SECRET_ARN`) overlaid on the variables they stand for. A secret whose ARN variable is unset
 * is skipped, so plain variables keep working for `sam local invoke` and tests.
 */
export async function resolveSecrets(
  env: Env,
  arnVariables: readonly (keyof typeof SECRET_VARIABLES)[],
  read: SecretReader,
): Promise<Env> {
  const overlay: Record<string, string> = {};
  /** Which secret gave each variable: two secrets may not both give one. */
  const givenBy: Record<string, string> = {};
  const problems: string[] = [];
  for (const arnVariable of arnVariables) {
    const secretId = env[arnVariable];
    if (!secretId) continue;
    const fields: Readonly<Record<string, string>> = SECRET_VARIABLES[arnVariable];
    const clashing = Object.values(fields).filter((name) => env[name]);
    if (clashing.length) {
      problems.push(`set ${arnVariable} or ${clashing.join(', ')}, not both`);
      continue;
    }
    const secret = await readJsonSecret(read, secretId);
    let found = 0;
    for (const [key, variable] of Object.entries(fields)) {
      const value = secret[key];
      let text: string;
      if (typeof value === 'string' && value !== '') text = value;
      else if (Array.isArray(value) && value.every((item) => typeof item === 'string'))
        text = value.join(',');
      else continue;
      const other = givenBy[variable];
      if (other !== undefined) problems.push(`"${key}" is in both ${other} and ${arnVariable}; keep one`);
      overlay[variable] = text;
      givenBy[variable] = arnVariable;
      found += 1;
    }
    if (found === 0) {
      problems.push(`secret ${secretId} (${arnVariable}) holds none of ${Object.keys(fields).join(', ')}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return { ...env, ...overlay };
}

/**
 * The database user and password from an RDS-style secret (`{"username","password"}`), for
 * db/pool.ts: the password is read again after `invalidate()`, which the pool calls when the server
 * rejects it (RDS rotates a managed master password every 7 days by default).
 */
export async function secretDbCredentials(read: SecretReader, secretArn: string): Promise<DbCredentials> {
  const fetch = async () => {
    const secret = await readJsonSecret(read, secretArn);
    if (typeof secret.username !== 'string' || typeof secret.password !== 'string') {
      throw new ConfigError([`secret ${secretArn} (DB_SECRET_ARN) has no username/password`]);
    }
    return { user: secret.username, password: secret.password };
  };
  const first = await fetch();
  let password: Promise<string> | undefined = Promise.resolve(first.password);
  return {
    user: first.user,
    password: () => {
      password ??= fetch().then(
        (fresh) => fresh.password,
        (error: unknown) => {
          password = undefined;
          throw error;
        },
      );
      return password;
    },
    invalidate: () => {
      password = undefined;
    },
  };
}
