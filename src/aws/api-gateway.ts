import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { encodeResponse, type HttpRequest, type HttpResponse, jsonResponse } from '../core/http';

/** An API Gateway HTTP API (payload format 2.0) event → the shared plain request. */
export function toHttpRequest(event: APIGatewayProxyEventV2): HttpRequest {
  const headers: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) headers[name.toLowerCase()] = value;
  // API Gateway v2 folds repeated cookies out of the headers; nothing here uses them.
  const body =
    event.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  return {
    method: event.requestContext.http.method,
    path: event.rawPath,
    rawQuery: event.rawQueryString ?? '',
    headers,
    body,
  };
}

/**
 * What a buffered answer may hold. Lambda's synchronous responses are at most 6 MB, measured on the
 * serialized response (a JSON body is escaped once more, a binary one grows by a third in base64):
 * a streamed body is read up to `body` bytes, and the result must serialize within `serialized`.
 */
const BUFFERED_LIMITS = { body: 4_000_000, serialized: 5_242_880 } as const;

/**
 * The shared response → API Gateway's result. Gzip (when the request accepts it) travels base64 with
 * `isBase64Encoded`, which API Gateway decodes before it answers the client. API Gateway + Lambda cannot
 * stream: a streamed body (the export, which compresses itself) is read whole first, up to `limit`
 * bytes; beyond, its iteration is stopped (the export's cursor closes) and the answer is a 413 in
 * SparkPost's shape saying to narrow the export or use the CLI (docs/DEPLOY.md describes the streaming
 * function URL that lifts the limit).
 */
export async function toApiGatewayResult(
  response: HttpResponse,
  request: Pick<HttpRequest, 'headers'>,
  limits: { readonly body: number; readonly serialized: number } = BUFFERED_LIMITS,
): Promise<APIGatewayProxyStructuredResultV2> {
  if (!response.stream) {
    const encoded = encodeResponse(request, response);
    return {
      statusCode: encoded.statusCode,
      headers: encoded.headers,
      body: encoded.compressed ? encoded.body.toString('base64') : response.body,
      isBase64Encoded: encoded.compressed,
    };
  }
  const tooLarge = () => ({
    ...jsonResponse(413, {
      errors: [
        {
          message: 'Export too large for a buffered response',
          description: `Through API Gateway this endpoint answers at most ${limits.body} bytes: narrow from/to or the filters, or export with the CLI`,
          code: '1300',
        },
      ],
    }),
    isBase64Encoded: false,
  });
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of response.stream) {
    const buffer = typeof part === 'string' ? Buffer.from(part, 'utf8') : part;
    size += buffer.length;
    // Leaving the loop stops the iteration: the source's cursor closes.
    if (size > limits.body) return tooLarge();
    parts.push(buffer);
  }
  const body = Buffer.concat(parts);
  const binary = response.headers['content-encoding'] !== undefined;
  const result = {
    statusCode: response.statusCode,
    headers: response.headers,
    body: body.toString(binary ? 'base64' : 'utf8'),
    isBase64Encoded: binary,
  };
  return Buffer.byteLength(JSON.stringify(result)) > limits.serialized ? tooLarge() : result;
}
