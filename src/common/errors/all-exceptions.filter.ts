import { type ArgumentsHost, Catch, type ExceptionFilter, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { QueryFailedError } from 'typeorm';
import { renderError } from './http-errors';

type RequestWithId = FastifyRequest & { raw: { id?: unknown } };

function errorIdOf(request: RequestWithId | undefined): string {
  const id = request?.raw.id;
  return typeof id === 'string' || typeof id === 'number' ? String(id) : randomUUID();
}

const logger = new Logger('Errors');

/** The error as logged: a failed query keeps its SQL but not its parameters, which can hold user data. */
function loggable(exception: unknown): unknown {
  if (!(exception instanceof QueryFailedError)) return exception;
  const { message, stack, query } = exception;
  const code = (exception.driverError as { code?: string }).code;
  return { type: 'QueryFailedError', message, code, query, stack };
}

/** Sends `exception` in the one error body shape; logs unexpected ones with the id the body carries. */
export function sendError(
  exception: unknown,
  request: RequestWithId | undefined,
  reply: FastifyReply,
): void {
  const errorId = errorIdOf(request);
  const { body, unexpected } = renderError(exception, errorId);
  if (unexpected) {
    logger.error(
      { err: loggable(exception), errorId, method: request?.method, url: request?.url },
      'Unexpected error',
    );
  } else if (exception instanceof QueryFailedError) {
    // Postgres refused a value the validation let through: the client gets a 400, we get a hint.
    logger.warn(
      { err: loggable(exception), errorId, method: request?.method, url: request?.url },
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
    sendError(exception, http.getRequest<RequestWithId>(), http.getResponse<FastifyReply>());
  }
}
