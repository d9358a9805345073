import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { EVENT_DICTIONARY_V1 } from './body-dictionary';

/**
 * Event bodies are stored compressed: PostgreSQL only compresses values in rows over ~2 KB, so ~1.2 KB
 * events would otherwise be stored whole. Raw deflate with a preset dictionary of typical events does
 * far better on small JSON than general compression. Format: one version byte, then the deflate stream.
 */
const CODECS: Record<number, Buffer> = {
  1: Buffer.from(EVENT_DICTIONARY_V1, 'utf8'),
};
const CURRENT_VERSION = 1;

export function encodeEvent(element: unknown): Buffer {
  const dictionary = CODECS[CURRENT_VERSION] as Buffer;
  const compressed = deflateRawSync(JSON.stringify(element), { dictionary });
  return Buffer.concat([Buffer.of(CURRENT_VERSION), compressed]);
}

export function decodeEvent(body: Buffer): unknown {
  const version = body[0] ?? -1;
  const dictionary = CODECS[version];
  if (!dictionary) throw new Error(`unknown event body version ${version}`);
  return JSON.parse(inflateRawSync(body.subarray(1), { dictionary }).toString('utf8'));
}
