import { gunzipSync, gzipSync } from 'node:zlib';
import { toApiGatewayResult } from '../../src/aws/api-gateway';
import type { HttpResponse } from '../../src/core/http';

/**
 * API Gateway + Lambda cannot stream: a streamed body (the export) is buffered up to a limit, binary
 * (gzipped) bodies in base64; past the limit, the iteration is stopped and the answer is a 413.
 */
function streamed(parts: Array<string | Buffer>, headers: Record<string, string> = {}) {
  const state = { taken: 0, stopped: false };
  async function* body() {
    try {
      for (const part of parts) {
        state.taken += 1;
        yield part;
      }
    } finally {
      state.stopped = true;
    }
  }
  const response: HttpResponse = { statusCode: 200, headers, body: '', stream: body() };
  return { response, state };
}

describe('toApiGatewayResult with a streamed body', () => {
  it('buffers a text body whole', async () => {
    const { response } = streamed(['{"a":1}\n', Buffer.from('{"b":2}\n')], {
      'content-type': 'application/x-ndjson',
    });
    expect(await toApiGatewayResult(response, { headers: {} })).toEqual({
      statusCode: 200,
      headers: { 'content-type': 'application/x-ndjson' },
      body: '{"a":1}\n{"b":2}\n',
      isBase64Encoded: false,
    });
  });

  it('sends a gzipped body in base64', async () => {
    const gz = gzipSync('line\n');
    const { response } = streamed([gz], { 'content-encoding': 'gzip' });
    const result = await toApiGatewayResult(response, { headers: {} });
    expect(result.isBase64Encoded).toBe(true);
    expect(gunzipSync(Buffer.from(result.body as string, 'base64')).toString()).toBe('line\n');
  });

  it('past the limit: stops reading (the cursor closes) and answers 413 in SparkPost’s shape', async () => {
    const { response, state } = streamed(['x'.repeat(60), 'y'.repeat(60), 'z'.repeat(60)]);
    const result = await toApiGatewayResult(response, { headers: {} }, { body: 100, serialized: 1000 });
    expect(result.statusCode).toBe(413);
    expect(JSON.parse(result.body as string)).toEqual({
      errors: [
        expect.objectContaining({ message: 'Export too large for a buffered response', code: '1300' }),
      ],
    });
    expect(state).toEqual({ taken: 2, stopped: true });
  });

  it('a body within the limit whose serialized response is not (escaping): 413 too', async () => {
    const { response } = streamed(['"'.repeat(90)]);
    const result = await toApiGatewayResult(response, { headers: {} }, { body: 100, serialized: 150 });
    expect(result.statusCode).toBe(413);
    const small = streamed(['"'.repeat(10)]);
    expect(
      (await toApiGatewayResult(small.response, { headers: {} }, { body: 100, serialized: 150 })).statusCode,
    ).toBe(200);
  });
});
