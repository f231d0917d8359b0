import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';
import { type BroadcastStatus } from './entities/broadcast.entity';

export type BroadcastErrorCode =
  'BROADCAST_NOT_FOUND' | 'BROADCAST_UNKNOWN_SEGMENTS' | 'BROADCAST_STATUS_CONFLICT';

export const BroadcastErrors = {
  notFound: (): AppError =>
    new AppError(HttpStatus.NOT_FOUND, 'BROADCAST_NOT_FOUND', 'Broadcast not found'),
  unknownSegments: (ids: string[]): AppError =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'BROADCAST_UNKNOWN_SEGMENTS',
      `The audience names segments this bot does not have: ${ids.join(', ')}`,
      { segmentIds: ids },
    ),
  badSendAt: (): AppError =>
    AppError.invalidField('sendAt', 'must be a date between years 1 and 9999'),
  statusConflict: (action: string, status: BroadcastStatus): AppError =>
    new AppError(
      HttpStatus.CONFLICT,
      'BROADCAST_STATUS_CONFLICT',
      `A ${status} broadcast cannot be ${action}`,
      { status },
    ),
};
