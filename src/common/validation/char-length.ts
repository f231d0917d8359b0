import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import {
  registerDecorator,
  type ValidationArguments,
  type ValidationOptions,
} from 'class-validator';

/** Characters as Postgres varchar(n) and Meta's Messenger limits count them: Unicode code points. */
export function charCount(value: string): number {
  return [...value].length;
}

/**
 * A string of `min` to `max` characters, counted as code points. class-validator's @Length and
 * @MaxLength count the way validator.js does, which skips variation selectors (U+FE0E, U+FE0F):
 * `"a\uFE0F".repeat(100)` passes @Length(1, 100) yet is 200 characters to a varchar(100).
 */
export function CharLength(
  min: number,
  max: number,
  options?: ValidationOptions,
): PropertyDecorator {
  const validate: PropertyDecorator = (target, propertyName) =>
    registerDecorator({
      name: 'charLength',
      target: target.constructor,
      propertyName: propertyName as string,
      constraints: [min, max],
      options,
      validator: {
        validate(value: unknown): boolean {
          if (typeof value !== 'string') return false;
          const count = charCount(value);
          return count >= min && count <= max;
        },
        defaultMessage: (args: ValidationArguments): string =>
          typeof args.value === 'string' && charCount(args.value) > max
            ? `${args.property} must be shorter than or equal to ${max} characters`
            : `${args.property} must be longer than or equal to ${min} characters`,
      },
    });
  // The Swagger plugin documents lengths only for class-validator's own decorators.
  return applyDecorators(
    validate,
    ApiProperty({ minLength: min > 0 ? min : undefined, maxLength: max }),
  );
}

/** At most `max` characters, counted as code points (see CharLength). */
export const MaxChars = (max: number, options?: ValidationOptions): PropertyDecorator =>
  CharLength(0, max, options);
