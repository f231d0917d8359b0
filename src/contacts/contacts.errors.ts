import { HttpStatus } from '@nestjs/common';
import { AppError } from '../common/errors';

/** Every `code` ContactErrors answers with (docs/ARCHITECTURE.md lists them all). */
export const CONTACT_ERROR_CODES = ['CONTACT_NOT_FOUND'] as const;
export type ContactErrorCode = (typeof CONTACT_ERROR_CODES)[number];

export const ContactErrors = {
  notFound: (): AppError<ContactErrorCode> =>
    new AppError(HttpStatus.NOT_FOUND, 'CONTACT_NOT_FOUND', 'Contact not found'),
};
