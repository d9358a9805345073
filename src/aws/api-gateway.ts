import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { encodeResponse, type HttpRequest, type HttpResponse } from '../core/http';

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
 * The shared response → API Gateway's result. Gzip (when the request accepts it) travels base64 with
 * `isBase64Encoded`, which API Gateway decodes before it answers the client.
 */
export function toApiGatewayResult(
  response: HttpResponse,
  request: Pick<HttpRequest, 'headers'>,
): APIGatewayProxyStructuredResultV2 {
  const encoded = encodeResponse(request, response);
  return {
    statusCode: encoded.statusCode,
    headers: encoded.headers,
    body: encoded.compressed ? encoded.body.toString('base64') : response.body,
    isBase64Encoded: encoded.compressed,
  };
}
