import type { ApiAuthConfig } from './config';
import { authenticateApi } from './core/auth';
import { type HttpRequest, type HttpResponse, jsonResponse, toErrorResponse } from './core/http';
import { EVENTS_API_PATH } from './core/query/events-api';
import { LEGACY_API_PATH } from './core/query/legacy-api';
import { type SearchDeps, searchLegacyMessageEvents, searchMessageEvents } from './core/query/search';
import {
  eventsApiDocumentation,
  eventsApiSamples,
  legacyDocumentation,
  legacySamples,
} from './core/self-docs';
import { receiveWebhook, type WebhookDeps, type WebhookOutcome } from './core/webhook';
import { MethodNotAllowedError, NotFoundError } from './errors';
import type { Logger } from './logger';

/** The webhook path SparkPost posts to. */
export const WEBHOOK_PATH = '/webhook';

/**
 * Every HTTP route, by the function that serves it on AWS. The local server serves all of them;
 * template.yaml must route exactly these (a template test checks it).
 */
export const ROUTES = {
  receiveWebhook: [{ method: 'POST', path: WEBHOOK_PATH }],
  queryEvents: [
    { method: 'GET', path: '/api/v1/events/message' },
    { method: 'GET', path: '/api/v1/events/message/documentation' },
    { method: 'GET', path: '/api/v1/events/message/samples' },
    { method: 'GET', path: '/api/v1/message-events' },
    { method: 'GET', path: '/api/v1/message-events/events/documentation' },
    { method: 'GET', path: '/api/v1/message-events/events/samples' },
  ],
} as const;

export interface AppDeps {
  readonly logger: Logger;
  /** Present where this process takes webhooks (local server, ReceiveWebhookFunction). */
  readonly webhook?: WebhookDeps & { readonly onStored?: (key: string) => void };
  /** Present where this process answers queries (local server, QueryEventsFunction). */
  readonly query?: SearchDeps & { readonly auth: ApiAuthConfig };
}

type Route = (request: HttpRequest) => Promise<HttpResponse>;

/**
 * Routes a request to the core functions. The local server and the Lambda handlers all call this, so
 * paths, authentication and error shapes are the same everywhere. SparkPost ignores a trailing slash.
 */
export function createApp(deps: AppDeps): (request: HttpRequest) => Promise<HttpResponse> {
  const routes = new Map<string, Partial<Record<string, Route>>>();

  const { webhook, query } = deps;
  if (webhook) {
    routes.set(WEBHOOK_PATH, {
      POST: async (request) => {
        const outcome: WebhookOutcome = await receiveWebhook(request, webhook);
        if (outcome.status === 'stored') webhook.onStored?.(outcome.key);
        return jsonResponse(200, {
          results:
            outcome.status === 'ping'
              ? { ping: true }
              : { batch_id: outcome.batchId, stored: outcome.status === 'stored' },
        });
      },
    });
  }
  if (query) {
    const authenticated =
      (search: (rawQuery: string, deps: SearchDeps) => Promise<unknown>): Route =>
      async (request) => {
        authenticateApi(request.headers, query.auth);
        return jsonResponse(200, await search(request.rawQuery, query));
      };
    // The self-documentation endpoints are public, as SparkPost's are: they hold no event data.
    const open =
      (build: (rawQuery: string) => unknown): Route =>
      async (request) =>
        jsonResponse(200, build(request.rawQuery));
    routes.set(EVENTS_API_PATH, { GET: authenticated(searchMessageEvents) });
    routes.set(`${EVENTS_API_PATH}/documentation`, { GET: open(eventsApiDocumentation) });
    routes.set(`${EVENTS_API_PATH}/samples`, { GET: open(eventsApiSamples) });
    routes.set(LEGACY_API_PATH, { GET: authenticated(searchLegacyMessageEvents) });
    routes.set(`${LEGACY_API_PATH}/events/documentation`, { GET: open(legacyDocumentation) });
    routes.set(`${LEGACY_API_PATH}/events/samples`, { GET: open(legacySamples) });
  }

  return async (request) => {
    try {
      const path = request.path.length > 1 ? request.path.replace(/\/+$/, '') : request.path;
      const methods = routes.get(path);
      if (!methods) throw new NotFoundError(`No resource at ${path}`);
      const route =
        methods[request.method.toUpperCase()] ?? (request.method === 'HEAD' ? methods.GET : undefined);
      if (!route) throw new MethodNotAllowedError(Object.keys(methods));
      return await route(request);
    } catch (error) {
      return toErrorResponse(error, deps.logger);
    }
  };
}
