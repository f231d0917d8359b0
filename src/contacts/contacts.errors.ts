import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

export const ContactErrors = {
  notFound: (): AppError =>
    new AppError(HttpStatus.NOT_FOUND, 'CONTACT_NOT_FOUND', 'Contact not found'),
};
