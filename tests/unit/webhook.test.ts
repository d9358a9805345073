import { batchIdFor, batchIdFromKey, batchObjectKey } from '../../src/core/batch-key';
import { isPing, parseBatch } from '../../src/core/webhook';
import { InvalidBodyError } from '../../src/errors';

describe('isPing', () => {
  it('recognises SparkPost test batches and empty arrays', () => {
    expect(isPing([{ msys: {} }])).toBe(true);
    expect(isPing([])).toBe(true);
    expect(isPing([{ msys: {} }, { msys: {} }])).toBe(false);
    expect(isPing([{ msys: { message_event: { type: 'delivery' } } }])).toBe(false);
    expect(isPing([{ msys: {}, cust: { id: 1 } }])).toBe(false);
  });
});

describe('parseBatch', () => {
  it('accepts arrays and refuses other JSON or invalid JSON', () => {
    expect(parseBatch(Buffer.from('[1]'))).toEqual([1]);
    expect(() => parseBatch(Buffer.from('{"a":1}'))).toThrow(InvalidBodyError);
    expect(() => parseBatch(Buffer.from('[1,'))).toThrow(InvalidBodyError);
  });
});

describe('batch ids and object keys', () => {
  it('uses SparkPost’s header when it is a safe name, a hash of it otherwise, a hash of the body without it', () => {
    const body = Buffer.from('[]');
    expect(batchIdFor('77c2b630-d712-11e4-9642-efc2723b99c1', body)).toBe(
      '77c2b630-d712-11e4-9642-efc2723b99c1',
    );
    expect(batchIdFor('../../etc/passwd', body)).toMatch(/^[0-9a-f]{64}$/);
    expect(batchIdFor(undefined, body)).toBe(batchIdFor(undefined, Buffer.from('[]')));
    expect(batchIdFor(undefined, body)).not.toBe(batchIdFor(undefined, Buffer.from('[ ]')));
  });

  it('maps ids to keys and back, and ignores foreign keys', () => {
    expect(batchIdFromKey(batchObjectKey('abc-1'))).toBe('abc-1');
    expect(batchIdFromKey('other/abc.json.gz')).toBeUndefined();
    expect(batchIdFromKey('batches/../x.json.gz')).toBeUndefined();
  });
});
