import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import { ErrorBody } from './error-body';

const DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid request (code VALIDATION_FAILED, INVALID_JSON, ...); `details` lists each bad field.',
  401: 'Missing, unknown or revoked bearer token (code UNAUTHORIZED).',
  403: 'The token may not do this (code FORBIDDEN).',
  404: 'Not found, or not visible to this token (code NOT_FOUND or a more specific *_NOT_FOUND).',
  409: 'Conflicts with the current state (a specific code, e.g. TRACKING_PARAM_TAKEN).',
  503: 'A dependency is unavailable; retry later.',
};

/** Documents error responses with the shared error body schema. 401 is implied for protected routes. */
export function ApiErrors(...statuses: number[]): MethodDecorator & ClassDecorator {
  // Explicit JSON content: routes that produce images (QR codes) still fail with JSON bodies.
  const content = { 'application/json': { schema: { $ref: getSchemaPath(ErrorBody) } } };
  return applyDecorators(
    ApiExtraModels(ErrorBody),
    ...statuses.map((status) =>
      ApiResponse({ status, description: DESCRIPTIONS[status] ?? 'Error', content }),
    ),
  );
}
