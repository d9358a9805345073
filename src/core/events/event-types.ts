/**
 * SparkPost's event types and categories (SPEC §3.5, §5.1). The webhook accepts any type (unknown ones
 * are stored, as SparkPost adds types over time); the query APIs validate `events` against this list.
 */

/** Types the Events API's message search returns and documents (SPEC §3.5), in SparkPost's order. */
export const MESSAGE_EVENT_TYPES = [
  'bounce',
  'delivery',
  'injection',
  'sms_status',
  'spam_complaint',
  'out_of_band',
  'policy_rejection',
  'delay',
  'click',
  'open',
  'initial_open',
  'amp_click',
  'amp_open',
  'amp_initial_open',
  'generation_failure',
  'generation_rejection',
  'list_unsubscribe',
  'link_unsubscribe',
] as const;

/**
 * Types that arrive by webhook but that SparkPost's message searches do not serve: relay (inbound) and
 * A/B-test events (webhooks only: the Events API documentation lists neither, 2web2ui
 * `cypress/fixtures/events/message/documentation/200.get.json`) and ingest events (served by
 * `GET /api/v1/events/ingest`, events.apib). They are stored; the message searches neither return them
 * nor take them in `events=` (a 400 that says where they are served).
 */
export const OTHER_EVENT_TYPES = [
  'relay_injection',
  'relay_rejection',
  'relay_delivery',
  'relay_tempfail',
  'relay_permfail',
  'ab_test_completed',
  'ab_test_cancelled',
  'success',
  'error',
] as const;

/** The ingest events' types: SparkPost serves them on `GET /api/v1/events/ingest` (events.apib). */
export const INGEST_EVENT_TYPES: readonly string[] = ['success', 'error'];

export const KNOWN_EVENT_TYPES: readonly string[] = [...MESSAGE_EVENT_TYPES, ...OTHER_EVENT_TYPES];
