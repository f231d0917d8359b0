import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';
import { type BroadcastStatus } from './entities/broadcast.entity';

/** Every `code` BroadcastErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const BROADCAST_ERROR_CODES = [
  'BROADCAST_NOT_FOUND',
  'BROADCAST_UNKNOWN_SEGMENTS',
  'BROADCAST_STATUS_CONFLICT',
  'VALIDATION_FAILED',
] as const;
export type BroadcastErrorCode = (typeof BROADCAST_ERROR_CODES)[number];

export const BroadcastErrors = {
  notFound: (): AppError<BroadcastErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'BROADCAST_NOT_FOUND', 'Broadcast not found'),
  unknownSegments: (ids: string[]): AppError<BroadcastErrorCode> =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'BROADCAST_UNKNOWN_SEGMENTS',
      `The audience names segments this bot does not have: ${ids.join(', ')}`,
      { segmentIds: ids },
    ),
  badSendAt: (): AppError<BroadcastErrorCode> =>
    AppError.invalidField('sendAt', 'must be a date between years 1 and 9999'),
  statusConflict: (action: string, status: BroadcastStatus): AppError<BroadcastErrorCode> =>
    new AppError(
      HttpStatus.CONFLICT,
      'BROADCAST_STATUS_CONFLICT',
      `A ${status} broadcast cannot be ${action}`,
      { status },
    ),
};
