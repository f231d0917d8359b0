import { ValidateIf } from 'class-validator';

/** class-transformer helper: trims strings, leaves anything else for the validators to reject. */
export const trimString = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/**
 * Optional, but not nullable: absent means "leave as is", while an explicit null still meets the
 * validators (and fails them). class-validator's IsOptional would let null through silently.
 */
export const IsOptionalNonNull = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
