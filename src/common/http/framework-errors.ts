import { HttpStatus } from '@nestjs/common';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, sendError } from '../errors';

const INVALID_URL_REASONS: Record<string, string> = {
  FST_ERR_BAD_URL: 'The URL is not valid: it holds a malformed percent-encoding',
  FST_ERR_MAX_PARAM_LENGTH: 'The URL is not valid: a path segment is too long',
};

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
