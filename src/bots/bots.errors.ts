import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export const BotErrors = {
  notFound: (): AppError => new AppError(HttpStatus.NOT_FOUND, 'BOT_NOT_FOUND', 'Bot not found'),
  pageAlreadyConnected: (pageId: string): AppError =>
    new AppError(
      HttpStatus.CONFLICT,
      'PAGE_ALREADY_CONNECTED',
      `Facebook Page ${pageId} is already connected to another bot`,
    ),
  messengerNotConnected: (): AppError =>
    new AppError(
      HttpStatus.NOT_FOUND,
      'MESSENGER_NOT_CONNECTED',
      'This bot has no Facebook Page connected',
    ),
};
