import { EVENT_TYPE_DOCS, FIELD_DOCS } from '../../src/core/docs/field-catalogue';
import {
  eventsApiDocumentation,
  eventsApiSamples,
  legacyDocumentation,
  legacySamples,
  webhookDocumentation,
  webhookSamples,
} from '../../src/core/docs/self-docs';
import { MESSAGE_EVENT_TYPES } from '../../src/core/events/event-types';
import { ValidationError } from '../../src/errors';
import { fixture } from '../helpers/fixtures';

describe('Events API documentation and samples (SPEC §3.6)', () => {
  it('documents the 18 message event types in SparkPost’s order, with display name and description', () => {
    const { results } = eventsApiDocumentation();
    expect(results.map((entry) => entry.type?.sampleValue)).toEqual([...MESSAGE_EVENT_TYPES]);
    for (const entry of results) {
      expect(entry.display_name?.sampleValue).toEqual(expect.any(String));
      expect(entry.event_description?.sampleValue).toEqual(expect.any(String));
      for (const field of Object.values(entry)) expect(field.description).toEqual(expect.any(String));
    }
  });

  it('gives one sample per documented type, in the same order, in the Events API representation', () => {
    const docs = eventsApiDocumentation().results;
    const { results } = eventsApiSamples('');
    expect(results.map((sample) => sample.type)).toEqual(docs.map((entry) => entry.type?.sampleValue));
    results.forEach((sample, i) => {
      const documented = Object.keys(docs[i] ?? {}).filter(
        (field) => !['display_name', 'event_description'].includes(field),
      );
      expect(Object.keys(sample).sort()).toEqual(documented.sort());
      expect(sample.timestamp).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      if ('customer_id' in sample) expect(typeof sample.customer_id).toBe('number');
    });
  });

  it('filters samples by events, in the order requested (each once), and refuses unknown types', () => {
    expect(eventsApiSamples('events=click,bounce,click').results.map((s) => s.type)).toEqual([
      'click',
      'bounce',
    ]);
    expect(legacySamples('events=open,delivery').results.map((s) => s.type)).toEqual(['open', 'delivery']);
    expect(() => eventsApiSamples('events=teleport')).toThrow(ValidationError);
  });

  it('documents sample values with the types SparkPost’s Events API documentation gives them (customer_id "1", subaccount_id "101", outbound_tls -1: 2web2ui events/message/documentation fixture)', () => {
    const docs = eventsApiDocumentation().results;
    const of = (type: string) => docs.find((entry) => entry.type?.sampleValue === type) ?? {};
    const delivery = of('delivery');
    expect(delivery.customer_id?.sampleValue).toBe('1');
    expect(delivery.subaccount_id?.sampleValue).toBe('101');
    expect(delivery.outbound_tls?.sampleValue).toBe(-1);
    expect(delivery.sms_segments?.sampleValue).toBe(5);
    expect(delivery.msg_size?.sampleValue).toBe('1337');
    expect(delivery.amp_enabled?.sampleValue).toBe(true);
    expect(delivery.rcpt_tags?.sampleValue).toEqual(['male', 'US']);
    expect(delivery.timestamp?.sampleValue).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    expect(delivery.injection_time?.sampleValue).toBe('2016-04-18T14:25:07.000Z');
    expect(of('click').geo_ip?.sampleValue).toEqual({
      country: 'US',
      region: 'MD',
      city: 'Columbia',
      latitude: 39.1749,
      longitude: -76.8375,
      zip: '21046',
      postal_code: '21046',
    });
    // The samples stay in the search results' types.
    const [sample] = eventsApiSamples('events=delivery').results;
    expect(sample?.customer_id).toBe(1);
    expect(sample?.subaccount_id).toBe(101);
  });
});

describe('legacy documentation and samples (SPEC §2.3)', () => {
  it('documents the 15 legacy types and samples them with string numerics and +00:00 times', () => {
    const docs = legacyDocumentation().results;
    expect(docs).toHaveLength(15);
    const samples = legacySamples('events=delivery').results;
    expect(samples).toHaveLength(1);
    expect(samples[0]?.timestamp).toMatch(/\+00:00$/);
    expect(samples[0]?.customer_id).toBe('1');
  });
});

describe('field catalogue', () => {
  it('describes every field of every type', () => {
    for (const doc of EVENT_TYPE_DOCS) {
      for (const field of doc.fields)
        expect(FIELD_DOCS[field]?.description ?? (field === 'type' ? 'type' : undefined)).toBeDefined();
    }
  });
});

describe('Events API documentation lists the derived fields (2web2ui events/message/documentation fixture)', () => {
  it('lists recipient_domain, sending_domain and subaccount_id for every email type, as SparkPost’s documentation does (all but sms_status)', () => {
    for (const entry of eventsApiDocumentation().results) {
      const type = entry.type?.sampleValue;
      expect(entry).toHaveProperty('subaccount_id');
      if (type === 'sms_status') continue;
      expect(entry).toHaveProperty('recipient_domain');
      expect(entry).toHaveProperty('sending_domain');
    }
  });
});

interface WebhookDocs {
  results: Record<
    string,
    {
      description: string;
      display_name: string;
      events: Record<
        string,
        {
          description: string;
          display_name: string;
          event: Record<string, { description: string; sampleValue: unknown }>;
        }
      >;
    }
  >;
}

describe('webhook documentation and samples (webhooks.apib; gosparkpost EventDocumentation, node-sparkpost getDocumentation/getSamples)', () => {
  it('documents the webhook events by category in the shape and wording of SparkPost’s 2016 response, plus the A/B-test and ingest categories', () => {
    const ours = webhookDocumentation() as WebhookDocs;
    const theirs = fixture<WebhookDocs>('webhook-event-documentation-2016.json');
    expect(Object.keys(ours.results)).toEqual([
      ...Object.keys(theirs.results),
      'ab_test_event',
      'ingest_event',
    ]);
    for (const [category, group] of Object.entries(theirs.results)) {
      const mine = ours.results[category];
      expect(mine?.display_name).toBe(group.display_name);
      expect(mine?.description).toBe(group.description);
      for (const [type, event] of Object.entries(group.events)) {
        const documented = mine?.events[type];
        expect(documented?.display_name).toEqual(expect.any(String));
        expect(documented?.description).toEqual(expect.any(String));
        expect(documented?.event.type?.sampleValue).toBe(type);
        // Webhook value types as SparkPost's: customer_id "1", subaccount_id "101", timestamp a string.
        for (const field of ['customer_id', 'subaccount_id', 'timestamp'] as const) {
          if (field in event.event) {
            expect([type, field, typeof documented?.event[field]?.sampleValue]).toEqual([
              type,
              field,
              typeof event.event[field]?.sampleValue,
            ]);
          }
        }
      }
    }
    expect(ours.results.message_event?.events.bounce?.event.customer_id?.sampleValue).toBe('1');
  });

  it('samples every webhook type as a batch element {"msys":{"<category>":{…}}}, and the requested ones in the order requested', () => {
    const all = webhookSamples('').results;
    expect(all.map((element) => Object.values(element.msys)[0]?.type)).toEqual(
      EVENT_TYPE_DOCS.map((doc) => doc.type),
    );
    const asked = webhookSamples('events=click,bounce,relay_delivery').results;
    expect(asked).toEqual([
      { msys: { track_event: expect.objectContaining({ type: 'click', customer_id: '1' }) } },
      { msys: { message_event: expect.objectContaining({ type: 'bounce', timestamp: '1460989507' }) } },
      { msys: { relay_event: expect.objectContaining({ type: 'relay_delivery' }) } },
    ]);
    expect(() => webhookSamples('events=teleport')).toThrow(ValidationError);
  });
});
