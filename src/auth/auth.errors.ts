import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export const AuthErrors = {
  missingToken: (): AppError =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'UNAUTHORIZED',
      'Missing bearer token: send Authorization: Bearer <token>',
    ),
  invalidToken: (): AppError =>
    new AppError(HttpStatus.UNAUTHORIZED, 'UNAUTHORIZED', 'Unknown or revoked token'),
  adminOnly: (): AppError =>
    new AppError(HttpStatus.FORBIDDEN, 'FORBIDDEN', 'Only the admin token may do this'),
  apiKeyNotFound: (): AppError =>
    new AppError(HttpStatus.NOT_FOUND, 'API_KEY_NOT_FOUND', 'API key not found'),
};
