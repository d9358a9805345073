import { type ApiAuthConfig, DEFAULT_TOKEN_TTL_SECONDS, type WebhookAuthConfig } from './config';
import { authenticateApi } from './core/auth';
import {
  eventsApiDocumentation,
  eventsApiSamples,
  legacyDocumentation,
  legacySamples,
} from './core/docs/self-docs';
import { type HttpRequest, type HttpResponse, jsonResponse, toErrorResponse } from './core/http';
import { tokenEndpoint } from './core/oauth';
import {
  EVENTS_API_DOCUMENTATION_PATH,
  EVENTS_API_METADATA_KEYS_PATH,
  EVENTS_API_PATH,
  EVENTS_API_SAMPLES_PATH,
  HEALTH_PATH,
  LEGACY_API_PATH,
  LEGACY_DOCUMENTATION_PATH,
  LEGACY_SAMPLES_PATH,
  OAUTH_TOKEN_PATH,
  WEBHOOK_PATH,
} from './core/paths';
import { listMetadataKeys } from './core/query/metadata-keys';
import { type SearchDeps, searchLegacyMessageEvents, searchMessageEvents } from './core/query/search';
import { receiveWebhook, type WebhookDeps } from './core/webhook';
import { authenticateWebhook } from './core/webhook-auth';
import { MethodNotAllowedError, NotFoundError } from './errors';
import type { Logger } from './logger';

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

/** What the query routes need: the database reader, the clock, who may query, and how healthy it is. */
export interface QueryAppDeps extends SearchDeps {
  readonly auth: ApiAuthConfig;
  readonly health?: () => Promise<HealthReport>;
}

/** Dependencies by the AWS function that serves the route (the local server has both). */
interface FunctionDeps {
  readonly receiveWebhook: WebhookAppDeps;
  readonly queryEvents: QueryAppDeps;
}

/**
 * Who may call a route: SparkPost (webhook credentials), an API key holder, an OAuth 2.0 client (the
 * token endpoint checks its client credentials itself, and answers in RFC 6749's shape), or anyone.
 */
type Access = 'webhook' | 'api-key' | 'client-credentials' | 'public';

type RouteOf<F extends keyof FunctionDeps> = {
  /** The Lambda function that serves it on AWS (template.yaml routes exactly these; a test checks). */
  readonly fn: F;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly access: Access;
  readonly serve: (request: HttpRequest, deps: FunctionDeps[F]) => Promise<HttpResponse> | HttpResponse;
};
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
      if (outcome.status !== 'ping') deps.onBatch?.(outcome.key);
      return ok({
        results:
          outcome.status === 'ping'
            ? { ping: true }
            : { batch_id: outcome.batchId, stored: outcome.status === 'stored' },
      });
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
    serve: async (request, deps) => ok(await searchMessageEvents(request.rawQuery, deps)),
  },
  {
    fn: 'queryEvents',
    method: 'GET',
    path: EVENTS_API_METADATA_KEYS_PATH,
    access: 'api-key',
    serve: async (request, deps) => ok(await listMetadataKeys(request.rawQuery, deps)),
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
    fn: 'queryEvents',
    method: 'GET',
    path: LEGACY_API_PATH,
    access: 'api-key',
    serve: async (request, deps) => ok(await searchLegacyMessageEvents(request.rawQuery, deps)),
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
    fn: 'queryEvents',
    method: 'GET',
    path: HEALTH_PATH,
    access: 'public',
    async serve(_request, deps) {
      const health: HealthReport = deps.health ? await deps.health() : { status: 'ok', database: 'ready' };
      return jsonResponse(health.status === 'ok' ? 200 : 503, health);
    },
  },
];

export interface AppDeps {
  readonly logger: Logger;
  /** Present where this process takes webhooks (local server, ReceiveWebhookFunction). */
  readonly webhook?: WebhookAppDeps;
  /** Present where this process answers queries (local server, QueryEventsFunction). */
  readonly query?: QueryAppDeps;
}

type Serve = (request: HttpRequest) => Promise<HttpResponse>;

/** With no credentials configured for an access, nobody passes it. */
const NOBODY_WEBHOOK: WebhookAuthConfig = { disabled: false };
const NOBODY_API: ApiAuthConfig = { disabled: false, apiKeys: [] };

/** Throws AuthError (401) unless the request carries the credentials the route's access asks for. */
function authorize(access: Access, request: HttpRequest, deps: AppDeps): void {
  if (access === 'webhook') {
    authenticateWebhook(
      request.headers,
      deps.webhook?.auth ?? NOBODY_WEBHOOK,
      (deps.webhook?.now ?? Date.now)(),
    );
  } else if (access === 'api-key') authenticateApi(request.headers, deps.query?.auth ?? NOBODY_API);
}

/** The route bound to this process's dependencies; undefined where this process does not serve it. */
function bind(route: Route, deps: AppDeps): Serve | undefined {
  const serveWith = <D>(
    routeDeps: D | undefined,
    serve: (request: HttpRequest, d: D) => Promise<HttpResponse> | HttpResponse,
  ) =>
    routeDeps === undefined
      ? undefined
      : async (request: HttpRequest) => {
          authorize(route.access, request, deps);
          return serve(request, routeDeps);
        };
  switch (route.fn) {
    case 'receiveWebhook':
      return serveWith(deps.webhook, route.serve);
    case 'queryEvents':
      return serveWith(deps.query, route.serve);
  }
}

/**
 * Routes a request to the core functions. The local server and the Lambda handlers all call this, so
 * paths, authentication and error shapes are the same everywhere. SparkPost ignores a trailing slash.
 */
export function createApp(deps: AppDeps): Serve {
  const routes = new Map<string, Map<string, Serve>>();
  for (const route of ROUTES) {
    const serve = bind(route, deps);
    if (!serve) continue;
    const methods = routes.get(route.path) ?? new Map<string, Serve>();
    methods.set(route.method, serve);
    routes.set(route.path, methods);
  }

  return async (request) => {
    try {
      const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
      const methods = routes.get(path);
      if (!methods) throw new NotFoundError(`No resource at ${path}`);
      const method = request.method.toUpperCase();
      const serve = methods.get(method) ?? (method === 'HEAD' ? methods.get('GET') : undefined);
      if (!serve) throw new MethodNotAllowedError([...methods.keys()]);
      return await serve(request);
    } catch (error) {
      return toErrorResponse(error, deps.logger);
    }
  };
}
