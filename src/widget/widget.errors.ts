import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` WidgetErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const WIDGET_ERROR_CODES = [
  'WIDGET_NOT_FOUND',
  'WIDGET_SESSION_INVALID',
  'WIDGET_ORIGIN_NOT_ALLOWED',
  'WIDGET_CURSOR_INVALID',
  'WIDGET_WATERMARK_UNKNOWN',
] as const;
export type WidgetErrorCode = (typeof WIDGET_ERROR_CODES)[number];

export const WidgetErrors = {
  notFound: (): AppError<WidgetErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'WIDGET_NOT_FOUND', 'No widget has this key'),
  sessionInvalid: (): AppError<WidgetErrorCode> =>
    new AppError(
      HttpStatus.UNAUTHORIZED,
      'WIDGET_SESSION_INVALID',
      'The X-Widget-Session header is missing or names no session of this widget; start a session',
    ),
  originNotAllowed: (origin: string): AppError<WidgetErrorCode> =>
    new AppError(
      HttpStatus.FORBIDDEN,
      'WIDGET_ORIGIN_NOT_ALLOWED',
      `Pages of ${origin.slice(0, 200)} may not use this widget (see the bot's widget.allowedOrigins)`,
    ),
  cursorInvalid: (): AppError<WidgetErrorCode> =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'WIDGET_CURSOR_INVALID',
      'The cursor (or Last-Event-ID) must be a message id given by this API: digits only',
    ),
  watermarkUnknown: (): AppError<WidgetErrorCode> =>
    new AppError(
      HttpStatus.BAD_REQUEST,
      'WIDGET_WATERMARK_UNKNOWN',
      'The watermark names no message sent to this session: use an id the stream gave',
    ),
};
