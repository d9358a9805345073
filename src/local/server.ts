import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { HttpRequest, HttpResponse } from '../core/http';
import { toErrorResponse } from '../core/http';
import { PayloadTooLargeError } from '../errors';
import type { Logger } from '../logger';

/**
 * The local HTTP server: Node's own http module around the shared app, so that `npm start` answers
 * exactly what API Gateway + Lambda answer. Bodies over the limit are refused with 413 while streaming.
 * A streamed response body (the export) is written with backpressure, and a client that goes away
 * stops it (sendStream).
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
    res.writeHead(response.statusCode, response.headers);
    if (response.stream) await sendStream(response.stream, req.method === 'HEAD', res, options.logger);
    else res.end(req.method === 'HEAD' ? undefined : response.body);
    options.logger.info('http', {
      method: req.method,
      path: (req.url ?? '').split('?')[0],
      status: response.statusCode,
      ms: Math.round(performance.now() - started),
    });
  });
}

/**
 * Writes a streamed body: each part once the socket has taken the previous one (pipeline's
 * backpressure). A client that disconnects destroys the response, pipeline then destroys the source,
 * and that stops its iteration (the export's cursor closes). For HEAD, the iteration is stopped at once.
 */
async function sendStream(
  body: AsyncIterable<Buffer | string>,
  head: boolean,
  res: ServerResponse,
  logger: Logger,
): Promise<void> {
  if (head) {
    await body[Symbol.asyncIterator]().return?.();
    res.end();
    return;
  }
  try {
    await pipeline(Readable.from(body, { objectMode: false }), res);
  } catch (error) {
    // The client went away (premature close), or the source failed after the headers: nothing more can
    // be said to this client; the socket is closed so that it sees a truncated body, not a complete one.
    const code = (error as { code?: string }).code;
    if (code !== 'ERR_STREAM_PREMATURE_CLOSE') logger.error('streamed response failed', { error });
    res.destroy();
  }
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
