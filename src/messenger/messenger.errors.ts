import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export const MessengerErrors = {
  badSignature: (): AppError =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'INVALID_SIGNATURE',
      'X-Hub-Signature-256 is missing or does not match the body',
    ),
  notConfigured: (): AppError =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'WEBHOOK_NOT_CONFIGURED',
      'MESSENGER_APP_SECRET is not set; webhooks are refused',
    ),
  badVerifyToken: (): AppError =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'INVALID_VERIFY_TOKEN',
      'hub.mode or hub.verify_token is wrong',
    ),
  invalidBody: (reason: string): AppError =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'INVALID_WEBHOOK_BODY',
      `Not a Messenger page envelope: ${reason}`,
    ),
  storageUnavailable: (): AppError =>
    new AppError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'STORAGE_UNAVAILABLE',
      'Events cannot be stored right now; retry later',
    ),
};
