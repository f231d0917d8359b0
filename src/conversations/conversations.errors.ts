import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` ConversationErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const CONVERSATION_ERROR_CODES = ['CONVERSATION_NOT_FOUND'] as const;
export type ConversationErrorCode = (typeof CONVERSATION_ERROR_CODES)[number];

export const ConversationErrors = {
  notFound: (): AppError<ConversationErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'CONVERSATION_NOT_FOUND', 'Conversation not found'),
};
