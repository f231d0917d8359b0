import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` BotErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const BOT_ERROR_CODES = [
  'BOT_NOT_FOUND',
  'PAGE_ALREADY_CONNECTED',
  'MESSENGER_NOT_CONNECTED',
] as const;
export type BotErrorCode = (typeof BOT_ERROR_CODES)[number];

export const BotErrors = {
  notFound: (): AppError<BotErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'BOT_NOT_FOUND', 'Bot not found'),
  pageAlreadyConnected: (pageId: string): AppError<BotErrorCode> =>
    new AppError(
      HttpStatus.CONFLICT,
      'PAGE_ALREADY_CONNECTED',
      `Facebook Page ${pageId} is already connected to another bot`,
    ),
  messengerNotConnected: (): AppError<BotErrorCode> =>
    new AppError(
      HttpStatus.NOT_FOUND,
      'MESSENGER_NOT_CONNECTED',
      'This bot has no Facebook Page connected',
    ),
};
