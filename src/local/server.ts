import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import { type Duplex, Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { batchIdFor } from '../core/batch-key';
import type { HttpRequest, HttpResponse } from '../core/http';
import { encodeResponse, toErrorResponse } from '../core/http';
import { MAX_URI_LENGTH } from '../core/query/params';
import { AppError, HeadersTooLargeError, PayloadTooLargeError, UriTooLongError } from '../errors';
import type { Logger } from '../logger';

/**
 * The most the server reads of a request line plus headers (Node's default, set here so that no
 * `--max-http-header-size` changes it). API Gateway's own limit is lower (10 240 bytes).
 */
const MAX_HEADER_BYTES = 16 * 1024;

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
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, async (req, res) => {
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
      // Refused while streaming, before the app saw it: say which batch SparkPost will retry, then drop.
      const givenId = req.headers['x-messagesystems-batch-id'];
      if (error instanceof PayloadTooLargeError && typeof givenId === 'string') {
        options.logger.warn('batch refused: too large', {
          batchId: batchIdFor(givenId, Buffer.alloc(0)),
          limitBytes: options.maxBodyBytes,
        });
      }
      response = toErrorResponse(error, options.logger);
    }
    if (response.stream) {
      res.writeHead(response.statusCode, response.headers);
      await sendStream(response.stream, req.method === 'HEAD', res, options.logger);
    } else {
      const encoded = encodeResponse({ headers: flattenHeaders(req.headers) }, response);
      res.writeHead(encoded.statusCode, encoded.headers);
      res.end(req.method === 'HEAD' ? undefined : encoded.body);
    }
    options.logger.info('http', {
      method: req.method,
      path: (req.url ?? '').split('?')[0],
      status: response.statusCode,
      ms: Math.round(performance.now() - started),
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Duplex) =>
    refuseUnparsed(error, socket, options.logger),
  );
  return server;
}

/**
 * A request Node could not parse gets SparkPost's error shape too, not Node's bare status line: an
 * over-long request line the same 404 (code 1103) as a URI over 4096 characters gets from the app, a
 * header block over MAX_HEADER_BYTES 431, anything else malformed 400. Nothing was routed, so the
 * connection closes.
 */
function refuseUnparsed(
  error: NodeJS.ErrnoException & { rawPacket?: Buffer },
  socket: Duplex,
  logger: Logger,
): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  let refusal: AppError;
  if (error.code === 'HPE_HEADER_OVERFLOW') {
    const packet = error.rawPacket?.toString('latin1') ?? '';
    const lineEnd = packet.indexOf('\r\n');
    const requestLine = lineEnd < 0 ? packet : packet.slice(0, lineEnd);
    refusal =
      lineEnd < 0 || requestLine.length > MAX_URI_LENGTH
        ? new UriTooLongError('query', MAX_URI_LENGTH)
        : new HeadersTooLargeError(MAX_HEADER_BYTES);
  } else {
    refusal = new AppError(400, '1200', 'Bad request', 'The request could not be parsed as HTTP/1.1');
  }
  logger.info('unparsable request', { parseError: error.code });
  const response = toErrorResponse(refusal, logger);
  const head = [
    `HTTP/1.1 ${response.statusCode} ${STATUS_CODES[response.statusCode] ?? ''}`,
    ...Object.entries(response.headers).map(([name, value]) => `${name}: ${value}`),
    `content-length: ${Buffer.byteLength(response.body)}`,
    'connection: close',
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${response.body}`);
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
