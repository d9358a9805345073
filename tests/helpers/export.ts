import { request } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** An HTTP answer as received: status, headers and the raw body bytes (never decompressed). */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** GETs `url` with node:http (fetch would decompress a gzipped body on its own). */
export function rawGet(
  url: string,
  headers: Record<string, string> = {},
  method = 'GET',
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, method }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** The body's text, gunzipped when it says it is gzipped. */
export function bodyText(response: RawResponse): string {
  const gzipped = response.headers['content-encoding'] === 'gzip';
  return (gzipped ? gunzipSync(response.body) : response.body).toString('utf8');
}

/** NDJSON → one parsed value per non-empty line. */
// biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON.
export function ndjson(text: string): any[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line));
}

/** RFC 4180 text → records of fields (a strict reader: quotes only around whole fields). */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let i = 0;
  let quoted = false;
  while (i < text.length) {
    const char = text[i] as string;
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        field += '"';
        i += 2;
      } else if (char === '"') {
        quoted = false;
        i += 1;
      } else {
        field += char;
        i += 1;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
      i += 1;
    } else if (char === ',') {
      record.push(field);
      field = '';
      i += 1;
    } else if (char === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 2;
    } else {
      if (char === '"' || char === '\n' || char === '\r') throw new Error(`not RFC 4180 at ${i}`);
      field += char;
      i += 1;
    }
  }
  if (field !== '' || record.length > 0) throw new Error('the last record does not end with CRLF');
  return records;
}
