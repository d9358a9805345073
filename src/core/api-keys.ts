import { createHash, randomBytes } from 'node:crypto';
import { ForbiddenError, InvalidBodyError, ResourceNotFoundError, ValidationError } from '../errors';
import type { Logger } from '../logger';
import { API_KEYS_PATH } from './paths';
import type { ApiKeyRecord, ApiKeyStore, KeyScope } from './ports';

/**
 * API keys as SparkPost has them: a label, grants named as SparkPost names them, optionally one
 * subaccount, the key shown once at creation. The database keeps the key's SHA-256 digest only
 * (sql/005_api_keys.sql says why that hash is enough); keys from the configuration (API_KEYS, API_KEY,
 * Secrets Manager) are admin keys and never stored.
 */

/** SparkPost's grants that this service has: the two query APIs (one grant, as at SparkPost), the keys. */
export const GRANTS = ['message_events/view', 'api_keys/manage'] as const;
export type Grant = (typeof GRANTS)[number];

/**
 * What a subaccount's key may hold: SparkPost's subaccount grants (subaccounts.apib) that this service
 * has. So only a primary-account key can manage keys, and a subaccount key never creates or revokes one.
 */
const SUBACCOUNT_GRANTS: readonly Grant[] = ['message_events/view'];

/** Who a request comes from, once its key is authenticated. */
export interface Principal {
  /** The key's id; `config` for the keys of the configuration (and when authentication is off). */
  readonly id: string;
  readonly grants: readonly Grant[];
  /** The only subaccount whose events it sees; undefined: the primary account and every subaccount. */
  readonly subaccount?: number;
}

/** The keys of the configuration, and everyone when API authentication is off: every grant, all data. */
export const ADMIN: Principal = Object.freeze({ id: 'config', grants: Object.freeze([...GRANTS]) });

/** A new key: 24 random bytes (192 bits) as 48 hex characters; SparkPost's own are 40. */
const KEY_BYTES = 24;
const SHORT_KEY_CHARS = 4;
const ID_BYTES = 12;
const MAX_LABEL_CHARS = 1024;

/**
 * How long an instance trusts a key it has looked up: a revoked key keeps working on other instances
 * (other Lambda environments, another local process) for at most this long. Never more than 60 s.
 */
export const KEY_CACHE_MS = 30_000;
const MAX_KEY_CACHE_MS = 60_000;
/** last_used_at is written at most this often per key and instance (and skipped when another wrote it). */
export const LAST_USED_RESOLUTION_MS = 60_000;
/** Entries kept in memory at most (digests and grants only, never keys). */
const CACHE_LIMIT = 10_000;

/** The SHA-256 digest a key is stored and looked up by. */
function keyDigest(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

/** What creating a key takes: SparkPost's `label` and `grants`, and the subaccount (none: primary). */
export interface NewKeyRequest {
  readonly label: string;
  readonly grants: readonly Grant[];
  readonly subaccount?: number;
}

/**
 * Checks a key to create: a label of 1 to 1024 characters, known grants (at least one), a subaccount that
 * is a positive integer, and, for a subaccount's key, only the grants a subaccount key may hold.
 */
export function validateNewKey(input: {
  readonly label: unknown;
  readonly grants: unknown;
  readonly subaccount?: unknown;
}): NewKeyRequest {
  const { label, grants, subaccount } = input;
  if (typeof label !== 'string' || label.trim() === '' || label.length > MAX_LABEL_CHARS) {
    throw new ValidationError(
      'Invalid label',
      `label must be a string of 1 to ${MAX_LABEL_CHARS} characters`,
    );
  }
  if (!Array.isArray(grants) || grants.length === 0 || grants.some((grant) => typeof grant !== 'string')) {
    throw new ValidationError('Invalid grants', `grants must be a list of grants, of: ${GRANTS.join(', ')}`);
  }
  const unknown = grants.filter((grant) => !(GRANTS as readonly string[]).includes(grant));
  if (unknown.length > 0) {
    throw new ValidationError(
      'Invalid grants',
      `Unknown grant(s): ${unknown.join(', ')}. Valid grants: ${GRANTS.join(', ')}`,
    );
  }
  if (
    subaccount !== undefined &&
    (typeof subaccount !== 'number' || !Number.isSafeInteger(subaccount) || subaccount < 1)
  ) {
    throw new ValidationError('Invalid subaccount_id', 'subaccount_id must be a positive integer');
  }
  const unique = GRANTS.filter((grant) => grants.includes(grant));
  if (subaccount !== undefined) {
    const refused = unique.filter((grant) => !SUBACCOUNT_GRANTS.includes(grant));
    if (refused.length > 0) {
      throw new ValidationError(
        'Invalid grants',
        `A subaccount's key cannot hold ${refused.join(', ')}; it may hold: ${SUBACCOUNT_GRANTS.join(', ')}`,
      );
    }
  }
  return { label, grants: unique, ...(subaccount !== undefined ? { subaccount } : {}) };
}

/**
 * The subaccount an `X-MSYS-SUBACCOUNT` header names: undefined when absent, 0 for the primary account.
 * SparkPost: "if provided, must be a number"; anything else is a 400.
 */
export function parseSubaccountHeader(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  const id = Number(trimmed);
  if (!/^\d+$/.test(trimmed) || !Number.isSafeInteger(id)) {
    throw new ValidationError(
      'Invalid X-MSYS-SUBACCOUNT header',
      'X-MSYS-SUBACCOUNT must be a subaccount id: a number, 0 for the primary account',
    );
  }
  return id;
}

/**
 * The body of `POST /api/v1/api-keys`: SparkPost's `label`, `grants` and `valid_ips` (an empty list only:
 * keys are not limited by IP here), plus `subaccount_id`, which SparkPost takes from the
 * `X-MSYS-SUBACCOUNT` header (`headerSubaccount`); both may be given if they agree. 0 means the primary
 * account, as in the header.
 */
export function parseCreateBody(body: Buffer, headerSubaccount: number | undefined): NewKeyRequest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidBodyError('Invalid JSON', 'The body must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidBodyError('Invalid JSON', 'The body must be a JSON object');
  }
  const fields = parsed as Record<string, unknown>;
  const validIps = fields.valid_ips;
  if (validIps !== undefined && validIps !== null && !(Array.isArray(validIps) && validIps.length === 0)) {
    throw new ValidationError(
      'Invalid valid_ips',
      'Keys cannot be limited to IP addresses here: leave valid_ips out, or send an empty list',
    );
  }
  const bodySubaccount = fields.subaccount_id ?? undefined;
  if (
    bodySubaccount !== undefined &&
    (typeof bodySubaccount !== 'number' || !Number.isSafeInteger(bodySubaccount))
  ) {
    throw new ValidationError('Invalid subaccount_id', 'subaccount_id must be an integer');
  }
  if (bodySubaccount !== undefined && headerSubaccount !== undefined && bodySubaccount !== headerSubaccount) {
    throw new ValidationError(
      'Invalid subaccount_id',
      'subaccount_id and the X-MSYS-SUBACCOUNT header name different subaccounts',
    );
  }
  const subaccount = bodySubaccount ?? headerSubaccount;
  return validateNewKey({
    label: fields.label,
    grants: fields.grants,
    ...(subaccount !== undefined && subaccount !== 0 ? { subaccount } : {}),
  });
}

/** A key as SparkPost's resource shows it (its field names, plus `last_used_at`); never the key. */
export interface ApiKeyResource {
  id: string;
  label: string;
  short_key: string;
  grants: string[];
  subaccount_id?: number;
  created_at: string;
  last_used_at: string | null;
}

export function apiKeyResource(record: ApiKeyRecord): ApiKeyResource {
  return {
    id: record.id,
    label: record.label,
    short_key: record.shortKey,
    grants: [...record.grants],
    ...(record.subaccount !== undefined ? { subaccount_id: record.subaccount } : {}),
    created_at: record.createdAt.toISOString(),
    last_used_at: record.lastUsedAt?.toISOString() ?? null,
  };
}

/** The answer to a create: the resource, the key (the only time it is shown) and its link. */
export function createdKeyResource(record: ApiKeyRecord, key: string) {
  return { ...apiKeyResource(record), key, link: { href: `${API_KEYS_PATH}/${record.id}` } };
}

export interface ApiKeyService {
  /** The principal of a stored key, or undefined when no stored key is this one. */
  authenticate(key: string): Promise<Principal | undefined>;
  /** Creates a key; the returned `key` is shown once and never stored. */
  create(request: NewKeyRequest): Promise<{ record: ApiKeyRecord; key: string }>;
  list(scope: KeyScope): Promise<ApiKeyRecord[]>;
  /** Throws ResourceNotFoundError when the scope has no key with this id. */
  get(id: string, scope: KeyScope): Promise<ApiKeyRecord>;
  /** Deletes the key: it stops working here at once, elsewhere within KEY_CACHE_MS. */
  revoke(id: string, scope: KeyScope): Promise<void>;
}

function principalOf(record: ApiKeyRecord): Principal {
  return {
    id: record.id,
    grants: GRANTS.filter((grant) => record.grants.includes(grant)),
    ...(record.subaccount !== undefined ? { subaccount: record.subaccount } : {}),
  };
}

/**
 * The stored keys on a store. `authenticate` keeps each key it has verified for `cacheMs` (at most 60 s),
 * keyed by digest, so that a busy key costs a database read per instance every 30 s, not per request,
 * and records last use at most once a minute. A key that does not verify is never cached: it is read
 * again on every request (so a key created a moment ago works at once everywhere).
 */
export function createApiKeyService(deps: {
  readonly store: ApiKeyStore;
  readonly logger: Logger;
  readonly now?: () => number;
  readonly cacheMs?: number;
}): ApiKeyService {
  const { store, logger } = deps;
  const now = deps.now ?? Date.now;
  const cacheMs = Math.min(deps.cacheMs ?? KEY_CACHE_MS, MAX_KEY_CACHE_MS);
  const cache = new Map<string, { principal: Principal; expires: number; touched: number }>();

  const notFound = (id: string) => new ResourceNotFoundError(`No API key with id ${id}`);

  async function touch(entry: { principal: Principal; touched: number }, at: number): Promise<void> {
    if (at - entry.touched < LAST_USED_RESOLUTION_MS) return;
    entry.touched = at;
    try {
      await store.touch(entry.principal.id, new Date(at), new Date(at - LAST_USED_RESOLUTION_MS));
    } catch (error) {
      // Recording the last use is not worth failing the request for.
      logger.warn('could not record the last use of an API key', {
        keyId: entry.principal.id,
        error: (error as Error).message,
      });
    }
  }

  return {
    async authenticate(key) {
      const digest = keyDigest(key);
      const slot = digest.toString('base64');
      const at = now();
      const cached = cache.get(slot);
      if (cached && cached.expires > at) {
        await touch(cached, at);
        return cached.principal;
      }
      cache.delete(slot);
      const record = await store.findByDigest(digest);
      if (!record) return undefined;
      const entry = {
        principal: principalOf(record),
        expires: at + cacheMs,
        touched: record.lastUsedAt?.getTime() ?? Number.NEGATIVE_INFINITY,
      };
      if (cache.size >= CACHE_LIMIT) cache.clear();
      cache.set(slot, entry);
      await touch(entry, at);
      return entry.principal;
    },

    async create(request) {
      const key = randomBytes(KEY_BYTES).toString('hex');
      const record = await store.insert({
        id: randomBytes(ID_BYTES).toString('hex'),
        label: request.label,
        digest: keyDigest(key),
        shortKey: key.slice(0, SHORT_KEY_CHARS),
        grants: request.grants,
        ...(request.subaccount !== undefined ? { subaccount: request.subaccount } : {}),
      });
      logger.info('api key created', {
        keyId: record.id,
        grants: record.grants,
        subaccount: record.subaccount,
      });
      return { record, key };
    },

    list: (scope) => store.list(scope),

    async get(id, scope) {
      const record = await store.get(id, scope);
      if (!record) throw notFound(id);
      return record;
    },

    async revoke(id, scope) {
      if (!(await store.remove(id, scope))) throw notFound(id);
      for (const [slot, entry] of cache) if (entry.principal.id === id) cache.delete(slot);
      logger.info('api key revoked', { keyId: id });
    },
  };
}

/** Throws 403 unless the principal holds the grant. */
export function requireGrant(principal: Principal, grant: Grant): void {
  if (!principal.grants.includes(grant)) {
    throw new ForbiddenError(`This API key does not have the ${grant} grant`);
  }
}

/**
 * The subaccount a query may see (undefined: all; 0: the primary account only): the key's own subaccount,
 * or, for a primary-account key, the one the `X-MSYS-SUBACCOUNT` header names (Events API only; the
 * legacy Message Events API ignores the header, as SparkPost's does). A subaccount's key naming another
 * subaccount in the header gets 403: the header selects whose data to act on, which such a key cannot.
 */
export function querySubaccount(principal: Principal, header: number | undefined): number | undefined {
  if (principal.subaccount === undefined) return header;
  if (header !== undefined && header !== principal.subaccount) {
    throw new ForbiddenError(`This API key is limited to subaccount ${principal.subaccount}`);
  }
  return principal.subaccount;
}
