import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` SegmentErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const SEGMENT_ERROR_CODES = [
  'SEGMENT_NOT_FOUND',
  'SEGMENT_NAME_TAKEN',
  'VALIDATION_FAILED',
] as const;
export type SegmentErrorCode = (typeof SEGMENT_ERROR_CODES)[number];

export const SegmentErrors = {
  notFound: (): AppError<SegmentErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'SEGMENT_NOT_FOUND', 'Segment not found'),
  nameTaken: (name: string): AppError<SegmentErrorCode> =>
    new AppError(
      HttpStatus.CONFLICT,
      'SEGMENT_NAME_TAKEN',
      `This bot already has a segment named "${name}"`,
    ),
  emptyAudience: (): AppError<SegmentErrorCode> =>
    AppError.invalidField('include', 'name at least one segment in include or intersect'),
};
