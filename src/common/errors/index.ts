export { AllExceptionsFilter, sendError } from './all-exceptions.filter';
export { ApiErrors } from './api-error-responses.decorator';
export { AppError, type FieldIssue } from './app-error';
export { ErrorBody } from './error-body';
export { flattenValidationErrors, renderError, validationException } from './http-errors';
export { isUniqueViolation } from './postgres-errors';
