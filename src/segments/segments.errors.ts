import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export const SegmentErrors = {
  notFound: (): AppError =>
    new AppError(HttpStatus.NOT_FOUND, 'SEGMENT_NOT_FOUND', 'Segment not found'),
  nameTaken: (name: string): AppError =>
    new AppError(
      HttpStatus.CONFLICT,
      'SEGMENT_NAME_TAKEN',
      `This bot already has a segment named "${name}"`,
    ),
  emptyAudience: (): AppError =>
    AppError.invalidField('include', 'name at least one segment in include or intersect'),
};
