import { QueryFailedError } from 'typeorm';

interface PgDriverError {
  code?: string;
  constraint?: string;
}

/** True when `error` is Postgres' unique_violation, optionally on one named constraint or index. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const driverError = error.driverError as PgDriverError;
  return (
    driverError.code === '23505' &&
    (constraint === undefined || driverError.constraint === constraint)
  );
}

/** Postgres refusing a value itself, with the reason a client may be told (never the SQL). */
const REFUSED_VALUE: Record<string, string> = {
  '22001': 'A value is too long',
  '22021': 'A value holds characters that cannot be stored (such as NUL)',
  '22P05': 'A value holds characters that cannot be stored (such as NUL)',
  '22P02': 'A value is not of the expected type',
};

/**
 * Why Postgres refused a value of the request, when `error` is that kind of failure. Validation
 * should catch these first; this keeps a gap in it a client error instead of a 500.
 */
export function refusedValueReason(error: unknown): string | undefined {
  if (!(error instanceof QueryFailedError)) return undefined;
  const code = (error.driverError as PgDriverError).code;
  return code === undefined ? undefined : REFUSED_VALUE[code];
}
