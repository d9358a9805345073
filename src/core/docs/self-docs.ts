import { ValidationError } from '../../errors';
import { MESSAGE_EVENT_TYPES } from '../events/event-types';
import { type JsonObject, parseEventTimestamp } from '../events/rows';
import { EVENTS_API_SAMPLES_PATH, LEGACY_SAMPLES_PATH } from '../paths';
import { toEventsApiEvent } from '../query/events-api';
import { toLegacySample } from '../query/legacy-api';
import { QueryParams } from '../query/params';
import { EVENT_TYPE_DOCS, type EventTypeDoc, FIELD_DOCS } from './field-catalogue';

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

const TIMESTAMP_DESCRIPTION: Record<Representation, string> = {
  'events-api': 'Event date and time, ISO 8601 in UTC with millisecond precision',
  legacy: 'Event date and time, ISO 8601 with milliseconds and the UTC offset',
};

function documentation(types: readonly string[], representation: Representation) {
  return {
    results: docsFor(types).map((doc) => {
      const sample = represent(webhookSample(doc), representation);
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
        entry[field] = { description, sampleValue: sample[field] };
      }
      return entry;
    }),
  };
}

function samples(rawQuery: string, path: string, types: readonly string[], representation: Representation) {
  const params = new QueryParams(path, rawQuery);
  const requested = params.list('events');
  const unknown = requested.filter((type) => !types.includes(type));
  if (unknown.length > 0) {
    throw new ValidationError(
      'Invalid events parameter',
      `Unknown event type(s): ${unknown.join(', ')}. Valid types: ${types.join(', ')}`,
    );
  }
  const chosen = requested.length > 0 ? types.filter((type) => requested.includes(type)) : types;
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
