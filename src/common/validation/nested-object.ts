import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { ValidateBy, ValidateNested } from 'class-validator';

const isJsonObject = (value: unknown): boolean =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * A property holding one object of the DTO `type`, validated through. `@ValidateNested()` alone
 * takes an array as a list of such objects (so `[]` passes untouched) and lets the service meet a
 * value of the wrong JSON type; this refuses arrays, `null`, numbers and strings first, with a
 * message naming the field. A missing value is left to the property's other rules (optional, or
 * required through another decorator). Use it instead of a bare `@ValidateNested()`: a test checks.
 */
export function NestedObject(type: () => new () => object): PropertyDecorator {
  return applyDecorators(
    // Named isObject, as class-validator's own: the OpenAPI parity test reads it as `type: object`.
    ValidateBy({
      name: 'isObject',
      validator: {
        validate: (value: unknown): boolean => value === undefined || isJsonObject(value),
        defaultMessage: () => '$property must be a JSON object',
      },
    }),
    ValidateNested(),
    Type(type),
  );
}
