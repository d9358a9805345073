import { logger, refreshing } from '../../src/handlers/lambda';

/**
 * What a warm execution environment does with configuration read from secrets: build once, serve it,
 * build it again in the background once it is old (a rotated secret arrives within minutes), and keep
 * the last good one when a rebuild fails.
 */
beforeAll(() => logger.powertools.setLogLevel('SILENT'));

/** Lets the background rebuild's promise settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

function counter(results: (() => Promise<string>)[]) {
  const clock = { now: 0 };
  let calls = 0;
  const build = () => {
    const next = results[Math.min(calls, results.length - 1)] as () => Promise<string>;
    calls += 1;
    return next();
  };
  return { clock, build, calls: () => calls };
}

it('builds on first use and serves that value until it is older than maxAgeMs', async () => {
  const { clock, build, calls } = counter([async () => 'first', async () => 'second']);
  const get = refreshing(build, { maxAgeMs: 1000, now: () => clock.now });
  expect(await Promise.all([get(), get()])).toEqual(['first', 'first']);
  clock.now = 999;
  expect(await get()).toBe('first');
  expect(calls()).toBe(1);

  clock.now = 1000;
  // The call that finds it old still gets the current value; the rebuild runs beside it.
  expect(await get()).toBe('first');
  await settle();
  expect(await get()).toBe('second');
  expect(calls()).toBe(2);
});

it('keeps the last good value when a rebuild fails, and tries again after retryMs', async () => {
  const { clock, build, calls } = counter([
    async () => 'first',
    async () => {
      throw new Error('secret unreadable');
    },
    async () => 'third',
  ]);
  const get = refreshing(build, { maxAgeMs: 1000, retryMs: 100, now: () => clock.now });
  expect(await get()).toBe('first');
  clock.now = 1000;
  expect(await get()).toBe('first');
  await settle();
  expect(await get()).toBe('first');
  clock.now = 1099;
  expect(await get()).toBe('first');
  expect(calls()).toBe(2);
  clock.now = 1100;
  await get();
  await settle();
  expect(await get()).toBe('third');
  expect(calls()).toBe(3);
});

it('fails the calls while the first build fails, and builds again on the next one', async () => {
  const { build, calls } = counter([
    async () => {
      throw new Error('not yet');
    },
    async () => 'second',
  ]);
  const get = refreshing(build, { maxAgeMs: 1000, now: () => 0 });
  await expect(get()).rejects.toThrow('not yet');
  expect(await get()).toBe('second');
  expect(calls()).toBe(2);
});
