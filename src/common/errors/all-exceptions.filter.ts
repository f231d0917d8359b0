import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { redactUrl } from '../logging/logger-options';
import { renderError } from './http-errors';

const logger = new Logger('Errors');

/** The error as logged: a failed query keeps its SQL but not its parameters, which can hold user data. */
function loggable(exception: unknown): unknown {
  if (!(exception instanceof QueryFailedError)) return exception;
  const { message, stack, query } = exception;
  const code = (exception.driverError as { code?: string }).code;
  return { type: 'QueryFailedError', message, code, query, stack };
}

/** Where the error happened, for its log line: the request id ties it to the request's other lines. */
function requestFields(request: FastifyRequest | undefined): Record<string, unknown> {
  return {
    requestId: request?.id,
    method: request?.method,
    url: request ? redactUrl(request.url) : undefined,
  };
}

/**
 * Sends `exception` in the one error body shape. An unexpected one is logged under a fresh id that
 * the body carries: unlike the request id, which callers may choose and reuse, it names one failure.
 */
export function sendError(
  exception: unknown,
  request: FastifyRequest | undefined,
  reply: FastifyReply,
): void {
  const errorId = randomUUID();
  const { body, unexpected } = renderError(exception, errorId);
  if (unexpected) {
    logger.error(
      { err: loggable(exception), errorId, ...requestFields(request) },
      'Unexpected error',
    );
  } else if (exception instanceof QueryFailedError) {
    // Postgres refused a value the validation let through: the client gets a 400, we get a hint.
    logger.warn(
      { err: loggable(exception), ...requestFields(request) },
      'Database refused a value of the request',
    );
  }
  void reply
    .status(body.statusCode)
    .header('content-type', 'application/json; charset=utf-8')
    .send(body);
}

/** Also receives Fastify's own errors (body parsing, limits): Nest routes them through global filters. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    sendError(exception, http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>());
  }
}
