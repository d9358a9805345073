import { acceptsGzip } from '../../src/core/http';
import { fittingCount, pageSizeDividing } from '../../src/core/query/page-size';

describe('page cut (core/query/page-size.ts)', () => {
  it('counts results as they travel in a Lambda response: JSON inside a JSON string, with commas', () => {
    // {"a":"x\"y"} is 12 bytes; inside a JSON string its 5 quotes and 1 backslash are escaped: 18, and a comma: 19.
    const result = { a: 'x"y' };
    expect(fittingCount([result, result, result], 38)).toBe(2);
    expect(fittingCount([result, result, result], 37)).toBe(1);
    // One result always goes out, however large: a page is never empty while events remain.
    expect(fittingCount([result], 1)).toBe(1);
    expect(fittingCount([], 1)).toBe(0);
  });

  it('a cut legacy page takes the largest size that divides the results before it', () => {
    expect(pageSizeDividing(0, 4321)).toBe(4321);
    expect(pageSizeDividing(10_000, 4321)).toBe(2500);
    expect(pageSizeDividing(3 * 2500, 2400)).toBe(1875);
    expect(pageSizeDividing(9973, 4000)).toBe(1);
  });
});

describe('Accept-Encoding', () => {
  it.each([
    ['gzip', true],
    ['gzip, deflate, br', true],
    ['br;q=1.0, gzip;q=0.8', true],
    ['*', true],
    ['gzip;q=0', false],
    ['*, gzip;q=0', false],
    ['identity', false],
    ['deflate', false],
    ['', false],
  ])('%j accepts gzip: %s', (header, expected) => {
    expect(acceptsGzip(header)).toBe(expected);
  });
});
