import { HttpException } from '@nestjs/common';
import { STATUS_CODES } from 'node:http';
import { type ValidationError } from 'class-validator';
import { AppError, type FieldIssue } from './app-error';
import { type ErrorBody } from './error-body';
import { refusedValueReason } from './postgres-errors';

/** Codes for errors that are not a module's own: framework, transport and generic HTTP failures. */
const CODE_BY_STATUS: Partial<Record<number, string>> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'TOO_MANY_REQUESTS',
  503: 'SERVICE_UNAVAILABLE',
};

/** Fastify's own request errors (body parsing, limits), mapped to stable codes. */
const CODE_BY_FASTIFY_CODE: Record<string, string> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'BAD_REQUEST',
};

export interface RenderedError {
  body: ErrorBody;
  /** True for failures the client did not cause: log them with their id. */
  unexpected: boolean;
}

function reason(status: number): string {
  return STATUS_CODES[status] ?? 'Error';
}

function build(status: number, code: string, message: string, details?: unknown): ErrorBody {
  const body: ErrorBody = { statusCode: status, error: reason(status), message, code };
  if (details !== undefined) body.details = details;
  return body;
}

function messageOf(exception: HttpException): string {
  const response = exception.getResponse();
  if (typeof response === 'string') return response;
  const message = (response as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}

interface FastifyLikeError {
  statusCode?: unknown;
  code?: unknown;
  message?: unknown;
}

function isClientSyntaxError(error: unknown): boolean {
  // JSON.parse failures surfaced by the body parser carry a 400 status but no Fastify code.
  return error instanceof SyntaxError && (error as FastifyLikeError).statusCode === 400;
}

/** Turns anything thrown while serving a request into the one error body shape. */
export function renderError(exception: unknown, errorId: string): RenderedError {
  if (exception instanceof AppError) {
    return {
      body: build(
        exception.getStatus(),
        exception.code as string,
        exception.message,
        exception.details,
      ),
      unexpected: false,
    };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    if (status >= 500 && status !== 503) {
      return { body: internal(errorId), unexpected: true };
    }
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'SERVICE_UNAVAILABLE' : 'BAD_REQUEST');
    return { body: build(status, code, messageOf(exception)), unexpected: false };
  }
  const refused = refusedValueReason(exception);
  if (refused) {
    return { body: build(400, 'VALIDATION_FAILED', `${refused}.`), unexpected: false };
  }
  const candidate = (exception ?? {}) as FastifyLikeError;
  if (isClientSyntaxError(exception)) {
    return {
      body: build(400, 'INVALID_JSON', `Body is not valid JSON: ${(exception as Error).message}`),
      unexpected: false,
    };
  }
  const status = typeof candidate.statusCode === 'number' ? candidate.statusCode : 500;
  if (status >= 400 && status < 500) {
    const fastifyCode =
      typeof candidate.code === 'string' ? CODE_BY_FASTIFY_CODE[candidate.code] : undefined;
    const code = fastifyCode ?? CODE_BY_STATUS[status] ?? 'BAD_REQUEST';
    return {
      body: build(
        status,
        code,
        typeof candidate.message === 'string' ? candidate.message : reason(status),
      ),
      unexpected: false,
    };
  }
  return { body: internal(errorId), unexpected: true };
}

function internal(errorId: string): ErrorBody {
  return build(500, 'INTERNAL_ERROR', `Unexpected error; it was logged with id ${errorId}`, {
    errorId,
  });
}

function toPath(parent: string, property: string): string {
  if (/^\d+$/.test(property)) return `${parent}[${property}]`;
  return parent ? `${parent}.${property}` : property;
}

/** Flattens class-validator's error tree into one issue per field with a readable path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const error of errors) {
    const field = toPath(parent, error.property);
    if (error.constraints) issues.push({ field, messages: Object.values(error.constraints) });
    if (error.children?.length) issues.push(...flattenValidationErrors(error.children, field));
  }
  return issues;
}

export function validationException(errors: ValidationError[], parent = ''): AppError {
  const issues = flattenValidationErrors(errors, parent);
  const first = issues[0];
  const message = first ? `${first.field}: ${first.messages[0]}` : 'Request validation failed';
  return AppError.validation(
    issues,
    issues.length > 1 ? `${message} (and ${issues.length - 1} more)` : message,
  );
}
