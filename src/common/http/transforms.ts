import { ValidateIf } from 'class-validator';

/** class-transformer helper: trims strings, leaves anything else for the validators to reject. */
export const trimString = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.trim() : value;

/**
 * class-transformer helper for ids in bodies: lowercases them, as ParseIdPipe does for path ids.
 * Postgres prints UUIDs in lowercase and references inside jsonb are matched as text, so an id
 * stored in another case would not match its row (MODULE_IN_USE would miss it).
 */
export const lowerCaseId = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' ? value.toLowerCase() : value;

/**
 * Optional, but not nullable: absent means "leave as is", while an explicit null still meets the
 * validators (and fails them). class-validator's IsOptional would let null through silently.
 */
export const IsOptionalNonNull = (): PropertyDecorator =>
  ValidateIf((_object: object, value: unknown) => value !== undefined);
