import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export const ConversationErrors = {
  notFound: (): AppError =>
    new AppError(HttpStatus.NOT_FOUND, 'CONVERSATION_NOT_FOUND', 'Conversation not found'),
};
