import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export type WidgetErrorCode =
  | 'WIDGET_NOT_FOUND'
  | 'WIDGET_SESSION_INVALID'
  | 'WIDGET_ORIGIN_NOT_ALLOWED'
  | 'WIDGET_CURSOR_INVALID'
  | 'WIDGET_WATERMARK_UNKNOWN';

export const WidgetErrors = {
  notFound: (): AppError =>
    new AppError(HttpStatus.NOT_FOUND, 'WIDGET_NOT_FOUND', 'No widget has this key'),
  sessionInvalid: (): AppError =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'WIDGET_SESSION_INVALID',
      'The X-Widget-Session header is missing or names no session of this widget; start a session',
    ),
  originNotAllowed: (origin: string): AppError =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'WIDGET_ORIGIN_NOT_ALLOWED',
      `Pages of ${origin.slice(0, 200)} may not use this widget (see the bot's widget.allowedOrigins)`,
    ),
  cursorInvalid: (): AppError =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'WIDGET_CURSOR_INVALID',
      'The cursor (or Last-Event-ID) must be a message id given by this API: digits only',
    ),
  watermarkUnknown: (): AppError =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'WIDGET_WATERMARK_UNKNOWN',
      'The watermark names no message sent to this session: use an id the stream gave',
    ),
};
