/**
 * Every URL path the service answers, in one place: the route table (app.ts), the self-documentation,
 * the pagination links and the local banner all read them from here.
 */
/** The support desk's lookup page (HTML; it reads the Events API with the agent's key). */
export const LOOKUP_PAGE_PATH = '/';
export const WEBHOOK_PATH = '/webhook';
/** The OAuth 2.0 token endpoint SparkPost's `oauth2` webhook authentication calls (its "Token URL"). */
export const OAUTH_TOKEN_PATH = '/oauth/token';
export const EVENTS_API_PATH = '/api/v1/events/message';
export const EVENTS_API_DOCUMENTATION_PATH = `${EVENTS_API_PATH}/documentation`;
export const EVENTS_API_SAMPLES_PATH = `${EVENTS_API_PATH}/samples`;
/** The rcpt_meta keys seen, for `meta.<key>` filters (not in SparkPost). */
export const EVENTS_API_METADATA_KEYS_PATH = `${EVENTS_API_PATH}/metadata-keys`;
/** Every event the Events API's filters match, streamed as NDJSON or CSV, no page cap (not in SparkPost). */
export const EVENTS_API_EXPORT_PATH = `${EVENTS_API_PATH}/export`;
export const LEGACY_API_PATH = '/api/v1/message-events';
export const LEGACY_DOCUMENTATION_PATH = `${LEGACY_API_PATH}/events/documentation`;
export const LEGACY_SAMPLES_PATH = `${LEGACY_API_PATH}/events/samples`;
/** SparkPost's webhook self-documentation (public): every webhook event, by category, and samples. */
export const WEBHOOK_DOCUMENTATION_PATH = '/api/v1/webhooks/events/documentation';
export const WEBHOOK_SAMPLES_PATH = '/api/v1/webhooks/events/samples';
/** SparkPost's Events API search of ingest events (`success`, `error`). */
export const INGEST_API_PATH = '/api/v1/events/ingest';
/** Liveness and readiness: is the database ready, is the loader keeping up. */
export const HEALTH_PATH = '/health';
/** SparkPost's API keys resource: list and create; `/{id}` to read or revoke one. */
export const API_KEYS_PATH = '/api/v1/api-keys';
