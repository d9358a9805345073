import schema001 from '../../sql/001_schema.sql';
import type { Migration } from './migrate';

/**
 * Every migration in sql/, compiled into the code as text so that a Lambda bundle needs no files beside
 * it (esbuild's text loader; `sam build` copies nothing but the bundle). sql/ stays the only source: a
 * test fails when a file there is missing from this list, or differs from it.
 */
export const MIGRATIONS: readonly Migration[] = Object.freeze([{ version: '001_schema', sql: schema001 }]);
