import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { HttpRequest, HttpResponse } from '../core/http';
import { encodeResponse, toErrorResponse } from '../core/http';
import { PayloadTooLargeError } from '../errors';
import type { Logger } from '../logger';

/**
 * The local HTTP server: Node's own http module around the shared app, so that `npm start` answers
 * exactly what API Gateway + Lambda answer. Bodies over the limit are refused with 413 while streaming.
 */
export function createHttpServer(
  app: (request: HttpRequest) => Promise<HttpResponse>,
  options: { readonly maxBodyBytes: number; readonly logger: Logger },
): Server {
  return createServer(async (req, res) => {
    const started = performance.now();
    let response: HttpResponse;
    try {
      const body = await readBody(req, options.maxBodyBytes);
      const url = req.url ?? '/';
      const question = url.indexOf('?');
      response = await app({
        method: req.method ?? 'GET',
        path: question >= 0 ? url.slice(0, question) : url,
        rawQuery: question >= 0 ? url.slice(question + 1) : '',
        headers: flattenHeaders(req.headers),
        body,
      });
    } catch (error) {
      response = toErrorResponse(error, options.logger);
    }
    const encoded = encodeResponse({ headers: flattenHeaders(req.headers) }, response);
    res.writeHead(encoded.statusCode, encoded.headers);
    res.end(req.method === 'HEAD' ? undefined : encoded.body);
    options.logger.info('http', {
      method: req.method,
      path: (req.url ?? '').split('?')[0],
      status: response.statusCode,
      ms: Math.round(performance.now() - started),
    });
  });
}

function flattenHeaders(headers: IncomingMessage['headers']): Record<string, string | undefined> {
  const flat: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers))
    flat[name] = Array.isArray(value) ? value.join(', ') : value;
  return flat;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBytes) {
      req.resume();
      reject(new PayloadTooLargeError(maxBytes));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new PayloadTooLargeError(maxBytes));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
