import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` MessengerErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const MESSENGER_ERROR_CODES = [
  'INVALID_SIGNATURE',
  'WEBHOOK_NOT_CONFIGURED',
  'INVALID_VERIFY_TOKEN',
  'INVALID_WEBHOOK_BODY',
  'STORAGE_UNAVAILABLE',
] as const;
export type MessengerErrorCode = (typeof MESSENGER_ERROR_CODES)[number];

export const MessengerErrors = {
  badSignature: (): AppError<MessengerErrorCode> =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'INVALID_SIGNATURE',
      'X-Hub-Signature-256 is missing or does not match the body',
    ),
  notConfigured: (): AppError<MessengerErrorCode> =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'WEBHOOK_NOT_CONFIGURED',
      'MESSENGER_APP_SECRET is not set; webhooks are refused',
    ),
  badVerifyToken: (): AppError<MessengerErrorCode> =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'INVALID_VERIFY_TOKEN',
      'hub.mode or hub.verify_token is wrong',
    ),
  invalidBody: (reason: string): AppError<MessengerErrorCode> =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'INVALID_WEBHOOK_BODY',
      `Not a Messenger page envelope: ${reason}`,
    ),
  storageUnavailable: (): AppError<MessengerErrorCode> =>
    new AppError(
      HttpStatus.SERVICE_UNAVAILABLE,
      'STORAGE_UNAVAILABLE',
      'Events cannot be stored right now; retry later',
    ),
};
