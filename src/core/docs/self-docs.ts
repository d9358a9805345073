import { ValidationError } from '../../errors';
import { MESSAGE_EVENT_TYPES } from '../events/event-types';
import { type JsonObject, parseEventTimestamp } from '../events/rows';
import { EVENTS_API_SAMPLES_PATH, LEGACY_SAMPLES_PATH, WEBHOOK_SAMPLES_PATH } from '../paths';
import { toEventsApiEvent } from '../query/events-api';
import { toLegacySample } from '../query/legacy-api';
import { QueryParams } from '../query/params';
import { CATEGORY_DOCS, EVENT_TYPE_DOCS, type EventTypeDoc, FIELD_DOCS } from './field-catalogue';

/**
 * The public self-documentation endpoints (SPEC §2.3, §3.6), built from the field catalogue: for each
 * event type, every field with a description and a sample value, and a sample event, in the same order
 * so that documentation entry i describes sample i.
 */

/** The 15 types of the legacy API's 2018 documentation (SPEC §2.3): no AMP events. */
const LEGACY_TYPES = MESSAGE_EVENT_TYPES.filter((type) => !type.startsWith('amp_'));

type Representation = 'events-api' | 'legacy';

function docsFor(types: readonly string[]): EventTypeDoc[] {
  return types.map((type) => {
    const doc = EVENT_TYPE_DOCS.find((entry) => entry.type === type);
    if (!doc) throw new Error(`no catalogue entry for ${type}`);
    return doc;
  });
}

/** A sample event of a type, as the webhook would carry it. */
function webhookSample(doc: EventTypeDoc): JsonObject {
  const event: JsonObject = {};
  for (const field of doc.fields) event[field] = field === 'type' ? doc.type : FIELD_DOCS[field]?.sampleValue;
  return event;
}

function represent(event: JsonObject, representation: Representation): JsonObject {
  const ts = parseEventTimestamp(event.timestamp) ?? 0;
  return representation === 'events-api' ? toEventsApiEvent(ts, event) : toLegacySample(ts, event);
}

/**
 * The Events API documentation's sample values, as SparkPost's documentation endpoint gives them (2web2ui
 * `cypress/fixtures/events/message/documentation/200.get.json`): the webhook's value types, not the
 * search results' (`customer_id` "1", `subaccount_id` "101", `geo_ip.zip` "21046"), except these two,
 * which it documents as numbers; only `timestamp` and `injection_time` take the Events API's form.
 */
const EVENTS_API_DOC_SAMPLES: Readonly<Record<string, unknown>> = {
  outbound_tls: -1,
  geo_ip: {
    country: 'US',
    region: 'MD',
    city: 'Columbia',
    latitude: 39.1749,
    longitude: -76.8375,
    zip: '21046',
    postal_code: '21046',
  },
};
const EVENTS_API_REFORMATTED = new Set(['timestamp', 'injection_time']);

const TIMESTAMP_DESCRIPTION: Record<Representation, string> = {
  'events-api': 'Event date and time, ISO 8601 in UTC with millisecond precision',
  legacy: 'Event date and time, ISO 8601 with milliseconds and the UTC offset',
};

function documentation(types: readonly string[], representation: Representation) {
  return {
    results: docsFor(types).map((doc) => {
      const webhook = webhookSample(doc);
      const sample = represent(webhook, representation);
      const entry: Record<string, { description: string; sampleValue: unknown }> = {};
      if (representation === 'events-api') {
        entry.display_name = {
          description: 'Human-readable name of the event type',
          sampleValue: doc.displayName,
        };
        entry.event_description = { description: 'What the event means', sampleValue: doc.description };
      }
      for (const field of Object.keys(sample)) {
        const description =
          field === 'timestamp'
            ? TIMESTAMP_DESCRIPTION[representation]
            : field === 'tdate'
              ? 'Event date and time, ISO 8601 in UTC'
              : (FIELD_DOCS[field]?.description ?? field);
        const sampleValue =
          representation === 'events-api' && !EVENTS_API_REFORMATTED.has(field) && field in webhook
            ? (EVENTS_API_DOC_SAMPLES[field] ?? webhook[field])
            : sample[field];
        entry[field] = { description, sampleValue };
      }
      return entry;
    }),
  };
}

/**
 * The types `events=` asks for, in the order asked (each once), or every type in catalogue order without
 * it (the order SparkPost's docs build pairs documentation entry i with sample i by: developers.sparkpost
 * .com `plugins/gatsby-source-sparkpost-api/gatsby-node.js`). Unknown types are a 400.
 */
function requestedTypes(rawQuery: string, path: string, types: readonly string[]): readonly string[] {
  const requested = [...new Set(new QueryParams(path, rawQuery).list('events'))];
  const unknown = requested.filter((type) => !types.includes(type));
  if (unknown.length > 0) {
    throw new ValidationError(
      'Invalid events parameter',
      `Unknown event type(s): ${unknown.join(', ')}. Valid types: ${types.join(', ')}`,
    );
  }
  return requested.length > 0 ? requested : types;
}

function samples(rawQuery: string, path: string, types: readonly string[], representation: Representation) {
  const chosen = requestedTypes(rawQuery, path, types);
  return { results: docsFor(chosen).map((doc) => represent(webhookSample(doc), representation)) };
}

/** `GET /api/v1/events/message/documentation` */
export function eventsApiDocumentation() {
  return documentation(MESSAGE_EVENT_TYPES, 'events-api');
}

/** `GET /api/v1/events/message/samples?events=…` */
export function eventsApiSamples(rawQuery: string) {
  return samples(rawQuery, EVENTS_API_SAMPLES_PATH, MESSAGE_EVENT_TYPES, 'events-api');
}

/** `GET /api/v1/message-events/events/documentation` */
export function legacyDocumentation() {
  return documentation(LEGACY_TYPES, 'legacy');
}

/** `GET /api/v1/message-events/events/samples?events=…` */
export function legacySamples(rawQuery: string) {
  return samples(rawQuery, LEGACY_SAMPLES_PATH, LEGACY_TYPES, 'legacy');
}

/** Every webhook event type, in catalogue order. */
const WEBHOOK_TYPES = EVENT_TYPE_DOCS.map((doc) => doc.type);

/**
 * `GET /api/v1/webhooks/events/documentation`: an object keyed by category (SparkPost's order), each with
 * its display name, description and events, each event with its display name, description and fields
 * (`{description, sampleValue}`, the webhook's values: `customer_id` "1", `timestamp` epoch seconds as a
 * string). The shape is SparkPost's (developers.sparkpost.com `content/api/webhooks.apib` "Documentation";
 * gosparkpost `event_docs.go` `EventGroup`/`EventMeta`/`EventField`; the 2016 capture in
 * tests/fixtures/webhook-event-documentation-2016.json).
 */
export function webhookDocumentation() {
  const results: Record<string, unknown> = {};
  for (const category of CATEGORY_DOCS) {
    const events: Record<string, unknown> = {};
    for (const doc of EVENT_TYPE_DOCS.filter((entry) => entry.category === category.category)) {
      const sample = webhookSample(doc);
      const event: Record<string, { description: string; sampleValue: unknown }> = {};
      for (const field of doc.fields) {
        event[field] = { description: FIELD_DOCS[field]?.description ?? field, sampleValue: sample[field] };
      }
      events[doc.type] = { description: doc.description, display_name: doc.displayName, event };
    }
    results[category.category] = {
      description: category.description,
      display_name: category.displayName,
      events,
    };
  }
  return { results };
}

/**
 * `GET /api/v1/webhooks/events/samples?events=…`: one webhook element per type, `{"msys": {"<category>":
 * {…}}}`, as a batch carries it (webhooks.apib "Event Samples"; node-sparkpost `webhooks.getSamples`,
 * 2web2ui's "Send Test Batch" posts them), in the order asked.
 */
export function webhookSamples(rawQuery: string) {
  const chosen = requestedTypes(rawQuery, WEBHOOK_SAMPLES_PATH, WEBHOOK_TYPES);
  return { results: docsFor(chosen).map((doc) => ({ msys: { [doc.category]: webhookSample(doc) } })) };
}
