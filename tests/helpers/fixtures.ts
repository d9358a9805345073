import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const FIXTURES = join(__dirname, '..', 'fixtures');
const EVENTS = join(__dirname, '..', '..', 'events');

/** A file from tests/fixtures (real SparkPost payloads), as text. */
export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

/** A file from tests/fixtures, parsed. */
export function fixture<T = unknown>(name: string): T {
  return JSON.parse(fixtureText(name)) as T;
}

/** A sample Lambda event from events/. */
export function lambdaEvent<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(EVENTS, name), 'utf8')) as T;
}

export type Element = { msys: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/** The flat event inside a batch element. */
export function inner(element: Element): Record<string, unknown> {
  return Object.values(element.msys)[0] as Record<string, unknown>;
}
