import { HttpException, HttpStatus } from '@nestjs/common';

/** One invalid field of a request: `field` is a path such as `content.messages[0].text`. */
export interface FieldIssue {
  field: string;
  messages: string[];
}

/**
 * A domain error: an HTTP status plus a stable upper-snake `code` that clients can switch on.
 * Modules declare theirs in `x.errors.ts`, each with the union `C` of its codes beside its factories;
 * the global filter renders the one error body shape.
 */
export class AppError<C extends string = string> extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: C,
    message: string,
    readonly details?: unknown,
  ) {
    super(message, status);
  }

  static validation(
    issues: FieldIssue[],
    message = 'Request validation failed',
  ): AppError<'VALIDATION_FAILED'> {
    return new AppError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', message, issues);
  }

  static invalidField(field: string, message: string): AppError<'VALIDATION_FAILED'> {
    return AppError.validation([{ field, messages: [message] }], `${field}: ${message}`);
  }
}
