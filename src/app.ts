import { type ApiAuthConfig, DEFAULT_TOKEN_TTL_SECONDS, type WebhookAuthConfig } from './config';
import {
  type ApiKeyService,
  apiKeyResource,
  createdKeyResource,
  type Grant,
  type Principal,
  parseCreateBody,
  parseSubaccountHeader,
  querySubaccount,
  requireGrant,
} from './core/api-keys';
import { authenticateApi } from './core/auth';
import { preflight, withCors } from './core/cors';
import {
  eventsApiDocumentation,
  eventsApiSamples,
  legacyDocumentation,
  legacySamples,
  webhookDocumentation,
  webhookSamples,
} from './core/docs/self-docs';
import { type HttpRequest, type HttpResponse, header, jsonResponse, toErrorResponse } from './core/http';
import { lookupPage } from './core/lookup-page';
import { tokenEndpoint } from './core/oauth';
import {
  API_KEYS_PATH,
  EVENTS_API_DOCUMENTATION_PATH,
  EVENTS_API_EXPORT_PATH,
  EVENTS_API_METADATA_KEYS_PATH,
  EVENTS_API_PATH,
  EVENTS_API_SAMPLES_PATH,
  HEALTH_PATH,
  INGEST_API_PATH,
  LEGACY_API_PATH,
  LEGACY_DOCUMENTATION_PATH,
  LEGACY_SAMPLES_PATH,
  LOOKUP_PAGE_PATH,
  OAUTH_TOKEN_PATH,
  WEBHOOK_DOCUMENTATION_PATH,
  WEBHOOK_PATH,
  WEBHOOK_SAMPLES_PATH,
} from './core/paths';
import { exportResponse } from './core/query/export';
import { listMetadataKeys } from './core/query/metadata-keys';
import { checkUriLength } from './core/query/params';
import {
  type SearchDeps,
  searchIngestEvents,
  searchLegacyMessageEvents,
  searchMessageEvents,
} from './core/query/search';
import { receiveWebhook, type WebhookDeps } from './core/webhook';
import { authenticateWebhook } from './core/webhook-auth';
import { ForbiddenError, MethodNotAllowedError, NotFoundError, UnavailableError } from './errors';
import { type Logger, silentLogger } from './logger';

/** What the webhook routes need: where to store, who may post, and who to tell about a stored batch. */
export interface WebhookAppDeps extends WebhookDeps {
  readonly auth: WebhookAuthConfig;
  /**
   * Told the key of every batch answered 200, new or already stored: a redelivered batch may still be
   * waiting to load (locally, the load queue takes it again; a loaded one it skips).
   */
  readonly onBatch?: (key: string) => void;
  /** `expires_in` of the access tokens `POST /oauth/token` issues; DEFAULT_TOKEN_TTL_SECONDS. */
  readonly tokenTtlSeconds?: number;
  /** The clock that issues and checks access tokens; Date.now. */
  readonly now?: () => number;
}

/** What `/health` says: 200 when everything is ready, 503 (same shape) while something is not. */
export interface HealthReport {
  readonly status: 'ok' | 'starting' | 'degraded';
  readonly database: 'ready' | 'starting' | 'unavailable';
  readonly loader?: {
    readonly pending: number;
    readonly retrying: number;
    readonly waitingForDatabase: boolean;
  };
}

/**
 * What the query routes need: the database reader, the clock, who may query (the configuration's keys,
 * and the stored ones: without `keys`, only the configuration's), and how healthy it is.
 */
export interface QueryAppDeps extends SearchDeps {
  readonly auth: ApiAuthConfig;
  /** Where the export logs a failure after its first line (the response cannot carry it any more). */
  readonly logger?: Logger;
  readonly keys?: ApiKeyService;
  readonly health?: () => Promise<HealthReport>;
}

/** Dependencies by the AWS function that serves the route (the local server has both). */
interface FunctionDeps {
  readonly receiveWebhook: WebhookAppDeps;
  readonly queryEvents: QueryAppDeps;
}

/** A route's path parameters (`{id}` in its path), decoded. */
type Params = Readonly<Record<string, string>>;

type Handler<D, C> = (request: HttpRequest, deps: D, context: C) => Promise<HttpResponse> | HttpResponse;

/**
 * Who may call a route: SparkPost (webhook credentials), anyone, an OAuth 2.0 client (the token endpoint
 * checks its client credentials itself, and answers in RFC 6749's shape), or an API key holding the
 * route's grant (SparkPost's grant names); a key without it gets 403. Behind a key, the route learns who
 * calls.
 */
type Access<D> =
  | {
      readonly access: 'webhook' | 'client-credentials' | 'public';
      readonly serve: Handler<D, { readonly params: Params }>;
    }
  | {
      readonly access: 'api-key';
      readonly grant: Grant;
      readonly serve: Handler<D, { readonly params: Params; readonly principal: Principal }>;
    };

type RouteOf<F extends keyof FunctionDeps> = {
  /** The Lambda function that serves it on AWS (template.yaml routes exactly these; a test checks). */
  readonly fn: F;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Exact, or with `{name}` segments (API Gateway's syntax, so template.yaml spells it the same). */
  readonly path: string;
} & Access<FunctionDeps[F]>;
export type Route = { [F in keyof FunctionDeps]: RouteOf<F> }[keyof FunctionDeps];

const ok = (payload: unknown) => jsonResponse(200, payload);

/**
 * Every HTTP route: the one table the local server, the Lambda handlers and template.yaml's routes all
 * come from. The self-documentation endpoints are public, as SparkPost's are: they hold no event data.
 */
export const ROUTES: readonly Route[] = [
  {
    fn: 'receiveWebhook',
    method: 'POST',
    path: WEBHOOK_PATH,
    access: 'webhook',
    async serve(request, deps) {
      const outcome = await receiveWebhook(request, deps);
      if (outcome.status === 'ping') return ok({ results: { ping: true } });
      if (outcome.status === 'test') return ok({ results: { batch_id: outcome.batchId, test: true } });
      deps.onBatch?.(outcome.key);
      return ok({ results: { batch_id: outcome.batchId, stored: outcome.status === 'stored' } });
    },
  },
  {
    fn: 'receiveWebhook',
    method: 'POST',
    path: OAUTH_TOKEN_PATH,
    access: 'client-credentials',
    serve: (request, deps) =>
      tokenEndpoint(request, {
        ...(deps.auth.oauth ? { client: deps.auth.oauth } : {}),
        ttlSeconds: deps.tokenTtlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS,
        now: deps.now ?? Date.now,
        logger: deps.logger,
      }),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: EVENTS_API_PATH,
    access: 'api-key',
    grant: 'message_events/view',
    serve: async (request, deps, { principal }) =>
      ok(await searchMessageEvents(request.rawQuery, deps, eventsSubaccount(request, principal))),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: EVENTS_API_METADATA_KEYS_PATH,
    access: 'api-key',
    grant: 'message_events/view',
    serve: async (request, deps, { principal }) =>
      ok(await listMetadataKeys(request.rawQuery, deps, eventsSubaccount(request, principal))),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: EVENTS_API_EXPORT_PATH,
    access: 'api-key',
    grant: 'message_events/view',
    serve: (request, deps, { principal }) =>
      exportResponse(
        request,
        { ...deps, logger: deps.logger ?? silentLogger },
        eventsSubaccount(request, principal),
      ),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: EVENTS_API_DOCUMENTATION_PATH,
    access: 'public',
    serve: () => ok(eventsApiDocumentation()),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: EVENTS_API_SAMPLES_PATH,
    access: 'public',
    serve: (request) => ok(eventsApiSamples(request.rawQuery)),
  },
  {
    // events.apib "Search for Ingest Events"; the Events Search grant covers it (support-docs
    // events-api-integration.md: one "Events Search: Read-Only" grant), scoped like the message search.
    fn: 'queryEvents',
    method: 'GET',
    path: INGEST_API_PATH,
    access: 'api-key',
    grant: 'message_events/view',
    serve: async (request, deps, { principal }) =>
      ok(await searchIngestEvents(request.rawQuery, deps, eventsSubaccount(request, principal))),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: LEGACY_API_PATH,
    access: 'api-key',
    grant: 'message_events/view',
    // SparkPost's Message Events API ignores X-MSYS-SUBACCOUNT; a subaccount's key still sees only its own.
    serve: async (request, deps, { principal }) =>
      ok(await searchLegacyMessageEvents(request.rawQuery, deps, querySubaccount(principal, undefined))),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: LEGACY_DOCUMENTATION_PATH,
    access: 'public',
    serve: () => ok(legacyDocumentation()),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: LEGACY_SAMPLES_PATH,
    access: 'public',
    serve: (request) => ok(legacySamples(request.rawQuery)),
  },
  {
    // Public at SparkPost: its docs build calls it with a dummy key, java-sparkpost's generator with none
    // (developers.sparkpost.com gatsby-node.js; GenerateWebhookEventPojos.java).
    fn: 'queryEvents',
    method: 'GET',
    path: WEBHOOK_DOCUMENTATION_PATH,
    access: 'public',
    serve: () => ok(webhookDocumentation()),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: WEBHOOK_SAMPLES_PATH,
    access: 'public',
    serve: (request) => ok(webhookSamples(request.rawQuery)),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: API_KEYS_PATH,
    access: 'api-key',
    grant: 'api_keys/manage',
    async serve(request, deps, { principal }) {
      const records = await storedKeys(deps).list(keysSubaccount(request, principal));
      return ok({ results: records.map(apiKeyResource) });
    },
  },
  {
    fn: 'queryEvents',
    method: 'POST',
    path: API_KEYS_PATH,
    access: 'api-key',
    grant: 'api_keys/manage',
    async serve(request, deps, { principal }) {
      const wanted = parseCreateBody(request.body, keysSubaccount(request, principal));
      const { record, key } = await storedKeys(deps).create(wanted);
      return ok({ results: createdKeyResource(record, key) });
    },
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: `${API_KEYS_PATH}/{id}`,
    access: 'api-key',
    grant: 'api_keys/manage',
    async serve(request, deps, { params, principal }) {
      const record = await storedKeys(deps).get(params.id as string, keysSubaccount(request, principal));
      return ok({ results: apiKeyResource(record) });
    },
  },
  {
    fn: 'queryEvents',
    method: 'DELETE',
    path: `${API_KEYS_PATH}/{id}`,
    access: 'api-key',
    grant: 'api_keys/manage',
    async serve(request, deps, { params, principal }) {
      await storedKeys(deps).revoke(params.id as string, keysSubaccount(request, principal));
      return { statusCode: 204, headers: {}, body: '' };
    },
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: HEALTH_PATH,
    access: 'public',
    async serve(_request, deps) {
      const health: HealthReport = deps.health ? await deps.health() : { status: 'ok', database: 'ready' };
      return jsonResponse(health.status === 'ok' ? 200 : 503, health);
    },
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: LOOKUP_PAGE_PATH,
    access: 'public',
    serve: (request) => lookupPage(request),
  },
];

/** The subaccount an Events API request may see: its key's, or the X-MSYS-SUBACCOUNT header's. */
function eventsSubaccount(request: HttpRequest, principal: Principal): number | undefined {
  return querySubaccount(principal, parseSubaccountHeader(header(request.headers, 'x-msys-subaccount')));
}

/**
 * Whose keys a request to the keys resource acts on: as at SparkPost, the X-MSYS-SUBACCOUNT header's
 * subaccount (0: the primary account's keys), or, without it, every key. Only a primary-account key
 * manages keys (a subaccount's key cannot hold the grant); one that somehow does gets 403.
 */
function keysSubaccount(request: HttpRequest, principal: Principal): number | undefined {
  if (principal.subaccount !== undefined) {
    throw new ForbiddenError('Only a primary-account key manages API keys');
  }
  return parseSubaccountHeader(header(request.headers, 'x-msys-subaccount'));
}

function storedKeys(deps: QueryAppDeps): ApiKeyService {
  if (!deps.keys) throw new UnavailableError('API keys are not stored by this process');
  return deps.keys;
}

export interface AppDeps {
  readonly logger: Logger;
  /** Present where this process takes webhooks (local server, ReceiveWebhookFunction). */
  readonly webhook?: WebhookAppDeps;
  /** Present where this process answers queries (local server, QueryEventsFunction). */
  readonly query?: QueryAppDeps;
  /** Browser origins allowed to call (CORS_ORIGINS); none by default, as at SparkPost (core/cors.ts). */
  readonly corsOrigins?: readonly string[];
}

type Serve = (request: HttpRequest) => Promise<HttpResponse>;

/** With no credentials configured for an access, nobody passes it. */
const NOBODY_WEBHOOK: WebhookAuthConfig = { disabled: false };
const NOBODY_API: ApiAuthConfig = { disabled: false, apiKeys: [] };

/** A path of ROUTES split into segments, `{name}` ones matching any one segment. */
interface PathPattern {
  readonly segments: ReadonlyArray<{ readonly literal: string } | { readonly param: string }>;
}

function patternOf(path: string): PathPattern {
  return {
    segments: path.split('/').map((segment) => {
      const param = /^\{(\w+)\}$/.exec(segment)?.[1];
      return param !== undefined ? { param } : { literal: segment };
    }),
  };
}

/** The parameters of `path` if it matches the pattern; undefined otherwise (or when not decodable). */
function matchPath(pattern: PathPattern, path: string): Params | undefined {
  const segments = path.split('/');
  if (segments.length !== pattern.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, expected] of pattern.segments.entries()) {
    const segment = segments[i] as string;
    if ('literal' in expected) {
      if (segment !== expected.literal) return undefined;
    } else {
      if (segment === '') return undefined;
      try {
        params[expected.param] = decodeURIComponent(segment);
      } catch {
        return undefined;
      }
    }
  }
  return params;
}

type Bound = (request: HttpRequest, params: Params) => Promise<HttpResponse>;

/**
 * The route bound to this process's dependencies, authentication first (401, or 403 without the route's
 * grant); undefined where this process does not serve it.
 */
function bind(route: Route, deps: AppDeps): Bound | undefined {
  const serveWith = <D>(routeDeps: D | undefined, r: Access<D>): Bound | undefined =>
    routeDeps === undefined
      ? undefined
      : async (request, params) => {
          if (r.access !== 'api-key') {
            if (r.access === 'webhook') {
              authenticateWebhook(
                request.headers,
                deps.webhook?.auth ?? NOBODY_WEBHOOK,
                (deps.webhook?.now ?? Date.now)(),
              );
            }
            return r.serve(request, routeDeps, { params });
          }
          const principal = await authenticateApi(
            request.headers,
            deps.query?.auth ?? NOBODY_API,
            deps.query?.keys,
          );
          requireGrant(principal, r.grant);
          return r.serve(request, routeDeps, { params, principal });
        };
  switch (route.fn) {
    case 'receiveWebhook':
      return serveWith(deps.webhook, route);
    case 'queryEvents':
      return serveWith(deps.query, route);
  }
}

/**
 * Routes a request to the core functions. The local server and the Lambda handlers all call this, so
 * paths, authentication and error shapes are the same everywhere. SparkPost ignores a trailing slash.
 * Exact paths are looked up first, then those with parameters, in table order. Every route of the table
 * is known, served here or not: on AWS every request no other function's route takes reaches the query
 * function (template.yaml's `$default` route), and gets the same 404 or 405 as locally.
 */
export function createApp(deps: AppDeps): Serve {
  /** Per path, its methods, bound to this process's dependencies or undefined where another function serves them. */
  type Methods = Map<string, Bound | undefined>;
  const exact = new Map<string, Methods>();
  const patterns: Array<{ pattern: PathPattern; methods: Methods }> = [];
  const byPath = new Map<string, Methods>();
  for (const route of ROUTES) {
    let methods = byPath.get(route.path);
    if (!methods) {
      methods = new Map<string, Bound | undefined>();
      byPath.set(route.path, methods);
      if (route.path.includes('{')) patterns.push({ pattern: patternOf(route.path), methods });
      else exact.set(route.path, methods);
    }
    methods.set(route.method, bind(route, deps));
  }
  const find = (path: string): { methods: Methods; params: Params } | undefined => {
    const methods = exact.get(path);
    if (methods) return { methods, params: {} };
    for (const candidate of patterns) {
      const params = matchPath(candidate.pattern, path);
      if (params) return { methods: candidate.methods, params };
    }
    return undefined;
  };
  const origins = deps.corsOrigins ?? [];

  const route = async (request: HttpRequest): Promise<HttpResponse> => {
    checkUriLength(request.path, request.rawQuery);
    const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
    const found = find(path);
    if (!found) throw new NotFoundError(`No resource at ${path}`);
    const method = request.method.toUpperCase();
    if (method === 'OPTIONS') return preflight(origins, request, [...found.methods.keys()]);
    const known = found.methods.has(method)
      ? method
      : method === 'HEAD' && found.methods.has('GET')
        ? 'GET'
        : undefined;
    if (known === undefined) throw new MethodNotAllowedError([...found.methods.keys()]);
    const serve = found.methods.get(known);
    if (!serve) throw new NotFoundError(`${path} is not served by this function`);
    return serve(request, found.params);
  };
  return async (request) => {
    let response: HttpResponse;
    try {
      response = await route(request);
    } catch (error) {
      response = toErrorResponse(error, deps.logger);
    }
    return withCors(origins, request, response);
  };
}
