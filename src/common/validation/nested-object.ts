import { applyDecorators } from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsObject, ValidateNested } from 'class-validator';

/**
 * A property holding one object of the DTO `type`, validated through. `@ValidateNested()` alone
 * takes an array as a list of such objects (so `[]` passes untouched) and lets the service meet a
 * value of the wrong JSON type; `@IsObject()` refuses arrays, `null`, numbers and strings first,
 * with a message naming the field. Use this instead of a bare `@ValidateNested()`: a test checks.
 */
export function NestedObject(type: () => new () => object): PropertyDecorator {
  return applyDecorators(
    IsObject({ message: '$property must be a JSON object' }),
    ValidateNested(),
    Type(type),
  );
}
