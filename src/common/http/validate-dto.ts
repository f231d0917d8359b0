import { type Type } from '@nestjs/common';
import { instanceToPlain, plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { validationException } from '../errors';

/**
 * Validates a plain value against a DTO class with the same strictness as the global pipe
 * (unknown properties rejected), for bodies whose shape depends on another field. Field paths in
 * the error start with `field`. Returns the validated value as plain JSON.
 */
export async function validateAs<T extends object>(
  dtoClass: Type<T>,
  value: unknown,
  field: string,
): Promise<Record<string, unknown>> {
  const instance = plainToInstance(dtoClass, value);
  const errors = await validate(instance, {
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
  });
  if (errors.length > 0) throw validationException(errors, field);
  return instanceToPlain(instance);
}
