import { EVENT_TYPE_DOCS, FIELD_DOCS } from '../../src/core/docs/field-catalogue';
import {
  eventsApiDocumentation,
  eventsApiSamples,
  legacyDocumentation,
  legacySamples,
} from '../../src/core/docs/self-docs';
import { MESSAGE_EVENT_TYPES } from '../../src/core/events/event-types';
import { ValidationError } from '../../src/errors';

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

  it('filters samples by events, in catalogue order, and refuses unknown types', () => {
    expect(eventsApiSamples('events=click,bounce').results.map((s) => s.type)).toEqual(['bounce', 'click']);
    expect(() => eventsApiSamples('events=teleport')).toThrow(ValidationError);
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
