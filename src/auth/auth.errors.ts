import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` AuthErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const AUTH_ERROR_CODES = ['UNAUTHORIZED', 'FORBIDDEN', 'API_KEY_NOT_FOUND'] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

export const AuthErrors = {
  missingToken: (): AppError<AuthErrorCode> =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'UNAUTHORIZED',
      'Missing bearer token: send Authorization: Bearer <token>',
    ),
  invalidToken: (): AppError<AuthErrorCode> =>
    new AppError(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED', 'Unknown or revoked token'),
  adminOnly: (): AppError<AuthErrorCode> =>
    new AppError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'Only the admin token may do this'),
  apiKeyNotFound: (): AppError<AuthErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'API_KEY_NOT_FOUND', 'API key not found'),
};
