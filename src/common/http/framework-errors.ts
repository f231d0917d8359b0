import { HttpStatus, Logger } from '@nestjs/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { AppError, type ErrorBody, sendError } from '../errors';
import { requestId as requestIdOf } from '../logging/logger-options';

const INVALID_URL_REASONS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid: it holds a malformed percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'The URL is not valid: a path segment is too long',
};

const logger = new Logger('Http');

/**
 * Fastify's `frameworkErrors`: errors it meets before routing (a URL it cannot decode), which never
 * reach Nest's filters. They get the one error body and the request id header all the same.
 */
export function sendFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  void reply.header('x-request-id', request.id);
  const reason = INVALID_URL_REASONS[error.code];
  const exception = reason ? new AppError(HttpStatus.BAD_REQUEST, 'INVALID_URL', reason) : error;
  sendError(exception, request, reply);
}

/** What Node's HTTP parser refuses, by its error `code`: status, stable code and message. */
const CLIENT_ERRORS: Record<string, [number, string, string]> = {
  // Node counts the request line with the headers: a 100 kB query string lands here too.
  HPE_HEADER_OVERFLOW: [431, 'HEADERS_TOO_LARGE', 'The request line and headers exceed 16 kB'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request did not arrive in time'],
  ERR_HTTP_HEADERS_TIMEOUT: [408, 'REQUEST_TIMEOUT', 'The request headers did not arrive in time'],
  HPE_CHUNK_EXTENSIONS_OVERFLOW: [413, 'PAYLOAD_TOO_LARGE', 'The chunk extensions are too large'],
};

function clientErrorOf(code: string | undefined): [number, string, string] {
  const known = code === undefined ? undefined : CLIENT_ERRORS[code];
  const detail = code ? ` (${code})` : '';
  return known ?? [400, 'MALFORMED_REQUEST', `The HTTP request is malformed${detail}`];
}

/** The one error body of `status` serialised, and the status line's code and reason. */
function refusal(status: number, code: string, message: string): { json: string; head: string } {
  const body: ErrorBody = {
    statusCode: status,
    error: STATUS_CODES[status] ?? 'Error',
    message,
    code,
  };
  const json = JSON.stringify(body);
  return { json, head: `${status} ${body.error}` };
}

function logRefusal(requestId: string, status: number, reason: string | undefined): void {
  logger.log({ requestId, parserError: reason, statusCode: status }, 'Refused a malformed request');
}

/**
 * Writes a refusal straight to a socket Node holds outside any request (a parser error, CONNECT),
 * in the one error body with a fresh request id, then closes the connection as Node does.
 */
function refuseOnSocket(
  socket: Socket,
  status: number,
  code: string,
  message: string,
  reason?: string,
): void {
  const { json, head } = refusal(status, code, message);
  const requestId = randomUUID();
  logRefusal(requestId, status, reason);
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${head}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(json)}\r\nX-Request-Id: ${requestId}\r\n` +
        `Connection: close\r\n\r\n${json}`,
    );
  }
  socket.destroy();
}

/**
 * Fastify's `clientErrorHandler`: answers what Node's HTTP parser refused before any request
 * existed (headers too large, Content-Length with chunked, control characters in a header, a space
 * in the path) in the one error body, with a fresh request id, then closes the connection as Node
 * does. The raw packet is not logged: it may hold credentials.
 */
export function sendClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  // A reset connection has nobody left to answer (https://nodejs.org/api/http.html#event-clienterror).
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = clientErrorOf(error.code);
  refuseOnSocket(socket, status, code, message, error.code);
}

/**
 * What Node's HTTP server answers itself, never handing the request to Fastify, gets the one error
 * body and a request id too (https://nodejs.org/api/http.html):
 * - an `Expect` other than `100-continue`: Node writes a bare 417 unless `checkExpectation` is
 *   listened to; here 417 EXPECTATION_FAILED;
 * - `CONNECT`: Node destroys the socket without a word unless `connect` is listened to; here 405
 *   METHOD_NOT_ALLOWED (this server is no proxy).
 * The third, an HTTP/1.1 request without `Host` (Node's bare 400), is turned off on the server
 * (`requireHostHeader: false`) and refused by `refuseMissingHost` inside Fastify instead.
 */
export function answerNodeRefusals(server: Server): void {
  server.on('checkExpectation', (request: IncomingMessage, response: ServerResponse) => {
    const id = requestIdOf(request);
    const { json } = refusal(417, 'EXPECTATION_FAILED', 'Only `Expect: 100-continue` is supported');
    logRefusal(id, 417, 'EXPECT');
    response.writeHead(417, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(json),
      'x-request-id': id,
      connection: 'close',
    });
    response.end(json);
  });
  server.on('connect', (_request: IncomingMessage, socket: Socket) => {
    refuseOnSocket(socket, 405, 'METHOD_NOT_ALLOWED', 'CONNECT is not supported', 'CONNECT');
  });
}

/**
 * Fastify `onRequest` hook: an HTTP/1.1 request without a `Host` header is 400 MALFORMED_REQUEST
 * (RFC 9112, section 3.2), in the one error body, before any route runs.
 */
export function refuseMissingHost(
  request: FastifyRequest,
  _reply: FastifyReply,
  done: (error?: Error) => void,
): void {
  if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
    done(
      new AppError(
        HttpStatus.BAD_REQUEST,
        'MALFORMED_REQUEST',
        'The HTTP/1.1 request has no Host header',
      ),
    );
    return;
  }
  done();
}

/**
 * Once Fastify starts closing, requests still arriving on kept-alive connections get 503
 * SHUTTING_DOWN in the one error body (Fastify's own `return503OnClosing` answer has no `code`),
 * so a load balancer retries them on another process.
 */
export function refuseRequestsWhileClosing(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (_request, reply, done) => {
    if (!closing) {
      done();
      return;
    }
    void reply.header('connection', 'close');
    done(
      new AppError(HttpStatus.SERVICE_UNAVAILABLE, 'SHUTTING_DOWN', 'The server is shutting down'),
    );
  });
}
