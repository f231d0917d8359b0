import { HttpException, HttpStatus } from '@nestjs/common';

/** One invalid field of a request: `field` is a path such as `content.messages[0].text`. */
export interface FieldIssue {
  field: string;
  messages: string[];
}

/**
 * A domain error: an HTTP status plus a stable upper-snake `code` that clients can switch on.
 * Modules declare theirs in `x.errors.ts`; the global filter renders the one error body shape.
 */
export class AppError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message, status);
  }

  static validation(issues: FieldIssue[], message = 'Request validation failed'): AppError {
    return new AppError(HttpStatus.BAD_REQUEST, 'VALIDATION_FAILED', message, issues);
  }

  static invalidField(field: string, message: string): AppError {
    return AppError.validation([{ field, messages: [message] }], `${field}: ${message}`);
  }
}
