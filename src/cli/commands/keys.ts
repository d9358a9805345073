import {
  type ApiKeyResource,
  apiKeyResource,
  createApiKeyService,
  createdKeyResource,
  GRANTS,
  KEY_CACHE_MS,
  validateNewKey,
} from '../../core/api-keys';
import { API_KEYS_PATH } from '../../core/paths';
import { createApiKeyStore } from '../../db/api-key-store';
import { AppError, ValidationError } from '../../errors';
import { silentLogger } from '../../logger';
import { type Command, type CommandContext, EXIT, UsageError } from '../command';

/**
 * `keys create|list|revoke`: the stored API keys, on the local database, or, with `--url` and `--key`,
 * on a deployment through its HTTPS API-keys resource (the same requests SparkPost's resource takes).
 */

type KeyCreated = ApiKeyResource & { key: string; link: { href: string } };

/** The three operations, on the database or over HTTP. */
interface Keys {
  create(wanted: { label: string; grants: readonly string[]; subaccount?: number }): Promise<KeyCreated>;
  list(): Promise<ApiKeyResource[]>;
  revoke(id: string): Promise<void>;
}

/** A failure the user should read (exit 1), not a usage mistake. */
class CommandFailed extends Error {}

const HELP = `usage: sparkpost-event-db keys <create|list|revoke> [options]

Manages the API keys stored in the database (SparkPost's API keys: a label, grants, optionally one
subaccount). Keys in API_KEYS / API_KEY / Secrets Manager are admin keys and are not listed here.

  keys create [--label L] [--subaccount N] [--grants g1,g2]
        creates a key and prints it: it is shown this once, only its digest is stored.
        --grants      ${GRANTS.join(', ')} (default: message_events/view)
        --subaccount  the key sees only subaccount N's events (a subaccount key may only hold
                      message_events/view); without it, the primary account and every subaccount
  keys list
        every stored key: id, short key (its first 4 characters), label, grants, subaccount, last use
  keys revoke <id>
        deletes the key: refused at once by the process that revoked it, by every other within ${KEY_CACHE_MS / 1000} s

options:
  --url <base>   manage the keys of a deployment over HTTPS instead of the local database, e.g.
                 https://abc123.execute-api.eu-west-1.amazonaws.com (its API-keys resource)
  --key <key>    with --url: a key holding api_keys/manage (an admin key); "-" reads it from stdin,
                 which keeps it out of the process list and the shell history
  --json         print the API's JSON answer

examples:
  npx sparkpost-event-db keys create --label reporting --subaccount 101
  npx sparkpost-event-db keys list --json
  npx sparkpost-event-db keys revoke 0f1e2d3c4b5a69788796a5b4
  npx sparkpost-event-db keys list --url https://events.example.com --key - < admin-key.txt
`;

function stringOption(context: CommandContext, name: string): string | undefined {
  const value = context.values[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'string') throw new UsageError(`--${name} takes a value`);
  return value;
}

/** The key to call a deployment with: `--key`, or the first line of stdin for `--key -`. */
async function remoteKey(context: CommandContext): Promise<string> {
  const key = stringOption(context, 'key');
  if (key === undefined || key.trim() === '')
    throw new UsageError('--url needs --key <a key with api_keys/manage>');
  if (key !== '-') return key.trim();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk));
  const fromStdin = Buffer.concat(chunks).toString('utf8').split('\n')[0]?.trim() ?? '';
  if (fromStdin === '') throw new UsageError('--key -: stdin holds no key');
  return fromStdin;
}

/** A deployment's API-keys resource. Errors come back in SparkPost's shape; their message is shown. */
function remoteKeys(base: string, key: string): Keys {
  let root: URL;
  try {
    root = new URL(base);
  } catch {
    throw new UsageError(`--url: not a URL: ${base}`);
  }
  if (root.protocol !== 'https:' && root.protocol !== 'http:') throw new UsageError('--url must be http(s)');
  const url = (path = '') => `${root.origin}${root.pathname.replace(/\/+$/, '')}${API_KEYS_PATH}${path}`;
  const call = async (path: string, init: RequestInit): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(url(path), {
        ...init,
        headers: { authorization: key, accept: 'application/json', ...(init.headers ?? {}) },
      });
    } catch (error) {
      const cause = (error as { cause?: { message?: string } }).cause?.message ?? (error as Error).message;
      throw new CommandFailed(`cannot reach ${root.origin}: ${cause}`);
    }
    const text = await response.text();
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (!response.ok) {
      const error = (body as { errors?: Array<{ message?: string; description?: string }> } | undefined)
        ?.errors?.[0];
      const detail = error
        ? [error.message, error.description].filter(Boolean).join(': ')
        : text.slice(0, 200);
      throw new CommandFailed(`${response.status} from ${url(path)}${detail ? `: ${detail}` : ''}`);
    }
    return body;
  };
  return {
    async create(wanted) {
      const body = await call('', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(wanted.subaccount !== undefined ? { 'x-msys-subaccount': String(wanted.subaccount) } : {}),
        },
        body: JSON.stringify({ label: wanted.label, grants: wanted.grants }),
      });
      return (body as { results: KeyCreated }).results;
    },
    async list() {
      return ((await call('', { method: 'GET' })) as { results: ApiKeyResource[] }).results;
    },
    async revoke(id) {
      await call(`/${encodeURIComponent(id)}`, { method: 'DELETE' });
    },
  };
}

/** The local database's keys, through the same core as the HTTP resource. */
async function localKeys(context: CommandContext): Promise<Keys> {
  const service = createApiKeyService({
    store: createApiKeyStore(await context.database()),
    logger: silentLogger,
  });
  return {
    async create(wanted) {
      const { record, key } = await service.create(validateNewKey(wanted));
      return createdKeyResource(record, key);
    },
    list: async () => (await service.list(undefined)).map(apiKeyResource),
    revoke: (id) => service.revoke(id, undefined),
  };
}

const write = (stream: NodeJS.WritableStream, text: string) => stream.write(text);
const subaccountText = (key: ApiKeyResource) =>
  key.subaccount_id === undefined ? 'all (primary account)' : String(key.subaccount_id);

function printList(context: CommandContext, keys: readonly ApiKeyResource[]): void {
  if (keys.length === 0) {
    write(context.stdout, 'no stored API keys (keys create makes one)\n');
    return;
  }
  const rows = [
    ['ID', 'SHORT', 'LABEL', 'GRANTS', 'SUBACCOUNT', 'CREATED', 'LAST USED'],
    ...keys.map((key) => [
      key.id,
      key.short_key,
      key.label,
      key.grants.join(','),
      subaccountText(key),
      key.created_at,
      key.last_used_at ?? 'never',
    ]),
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] as string).length))) ?? [];
  for (const row of rows) {
    write(
      context.stdout,
      `${row
        .map((cell, column) => cell.padEnd(widths[column] as number))
        .join('  ')
        .trimEnd()}\n`,
    );
  }
}

/** `--subaccount N`: a positive integer. */
function subaccountOption(context: CommandContext): number | undefined {
  const raw = stringOption(context, 'subaccount');
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1 || !Number.isSafeInteger(Number(raw))) {
    throw new UsageError(`--subaccount takes a subaccount id, a positive integer (got "${raw}")`);
  }
  return Number(raw);
}

async function run(context: CommandContext): Promise<number> {
  const [action, ...rest] = context.positionals;
  const base = stringOption(context, 'url');
  if (base === undefined && context.values.key !== undefined) throw new UsageError('--key is for --url');
  const expectArguments = (count: number, what: string) => {
    if (rest.length !== count) throw new UsageError(`keys ${action} takes ${what}`);
  };
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(
      action === undefined ? 'keys needs create, list or revoke' : `unknown keys command: ${action}`,
    );
  }
  if (action === 'create') {
    expectArguments(0, 'no arguments (options: --label, --subaccount, --grants)');
  } else if (action === 'list') {
    expectArguments(0, 'no arguments');
  } else expectArguments(1, 'the id of the key to revoke');

  let wanted: { label: string; grants: readonly string[]; subaccount?: number } | undefined;
  if (action === 'create') {
    const subaccount = subaccountOption(context);
    const grants = (stringOption(context, 'grants') ?? 'message_events/view')
      .split(',')
      .map((grant) => grant.trim())
      .filter(Boolean);
    try {
      wanted = validateNewKey({
        label: stringOption(context, 'label') ?? `created ${new Date().toISOString()}`,
        grants,
        ...(subaccount !== undefined ? { subaccount } : {}),
      });
    } catch (error) {
      if (error instanceof ValidationError) {
        throw new UsageError(`${error.message}: ${error.description ?? ''}`.replace(/: $/, ''));
      }
      throw error;
    }
  } else if (
    context.values.label !== undefined ||
    context.values.grants !== undefined ||
    context.values.subaccount !== undefined
  ) {
    throw new UsageError('--label, --grants and --subaccount are for keys create');
  }

  try {
    const keys = base === undefined ? await localKeys(context) : remoteKeys(base, await remoteKey(context));
    if (action === 'create') {
      const created = await keys.create(wanted as NonNullable<typeof wanted>);
      if (context.json) write(context.stdout, `${JSON.stringify({ results: created })}\n`);
      else {
        write(
          context.stdout,
          `${created.key}\n\n` +
            'API key created. This is the only time it is shown: store it now.\n' +
            `  id:          ${created.id}\n` +
            `  label:       ${created.label}\n` +
            `  grants:      ${created.grants.join(', ')}\n` +
            `  subaccount:  ${subaccountText(created)}\n` +
            'Send it as SparkPost clients do: "Authorization: <key>".\n',
        );
      }
    } else if (action === 'list') {
      const list = await keys.list();
      if (context.json) write(context.stdout, `${JSON.stringify({ results: list })}\n`);
      else printList(context, list);
    } else {
      const id = rest[0] as string;
      await keys.revoke(id);
      if (context.json) write(context.stdout, `${JSON.stringify({ results: { id, revoked: true } })}\n`);
      else {
        write(
          context.stdout,
          `API key ${id} revoked: refused at once where it was revoked, everywhere within ${KEY_CACHE_MS / 1000} s.\n`,
        );
      }
    }
    return EXIT.ok;
  } catch (error) {
    if (error instanceof CommandFailed || (error instanceof AppError && error.expose)) {
      const detail = error instanceof AppError && error.description ? `: ${error.description}` : '';
      write(context.stderr, `keys ${action}: ${error.message}${detail}\n`);
      return EXIT.failed;
    }
    throw error;
  }
}

export const keysCommand: Command = {
  name: 'keys',
  summary: 'create, list and revoke stored API keys (locally, or on a deployment with --url)',
  help: HELP,
  options: {
    label: { type: 'string' },
    subaccount: { type: 'string' },
    grants: { type: 'string' },
    url: { type: 'string' },
    key: { type: 'string' },
  },
  run,
};
