import { type Type as ClassType } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { isUUID } from 'class-validator';
import { AppError } from '../errors';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A page response class for OpenAPI: `{ items: Item[], nextCursor }`. */
export function PageOf<T>(item: ClassType<T>): ClassType<Page<T>> {
  class PageDto implements Page<T> {
    @ApiProperty({ type: item, isArray: true })
    items!: T[];

    @ApiProperty({
      type: String,
      nullable: true,
      description: 'Pass as `cursor` to get the next page; null on the last page.',
    })
    nextCursor!: string | null;
  }
  Object.defineProperty(PageDto, 'name', { value: `${item.name.replace(/Dto$/, '')}PageDto` });
  return PageDto;
}

/** Keyset position of a row sorted by (createdAt desc, id desc). */
export interface CreatedCursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(position: CreatedCursor): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/** The type of the id column a list pages by: it decides which ids a cursor may carry. */
export type CursorIdKind = 'uuid' | 'bigint';

const MAX_BIGINT = 9223372036854775807n;

function isIdOfKind(id: unknown, kind: CursorIdKind): id is string {
  if (typeof id !== 'string') return false;
  switch (kind) {
    case 'uuid':
      return isUUID(id);
    case 'bigint':
      return /^\d{1,19}$/.test(id) && BigInt(id) <= MAX_BIGINT;
  }
}

/** Years every Postgres timestamptz and every ISO string this API writes can hold. */
function isDateInRange(date: Date): boolean {
  const year = date.getUTCFullYear();
  return !Number.isNaN(year) && year >= 1 && year <= 9999;
}

/**
 * Reads a cursor this API returned. A forged one (wrong id type, absurd date) is refused here as
 * 400 rather than reaching SQL, where Postgres would fail the query with a 500.
 */
export function decodeCursor(
  cursor: string | undefined,
  idKind: CursorIdKind,
): CreatedCursor | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [createdAt, id] = JSON.parse(
      Buffer.from(cursor, 'base64url').toString('utf8'),
    ) as unknown[];
    if (typeof createdAt !== 'string') throw new Error('bad cursor');
    const date = new Date(createdAt);
    if (!isIdOfKind(id, idKind) || !isDateInRange(date)) throw new Error('bad cursor');
    return { createdAt: date, id };
  } catch {
    throw AppError.invalidField('cursor', 'is not a cursor this API returned');
  }
}

/** Builds a page from `limit + 1` fetched rows: the extra row only tells that another page exists. */
export function toPage<R extends CreatedCursor, T>(
  rows: R[],
  limit: number,
  map: (row: R) => T,
): Page<T> {
  const hasMore = rows.length > limit;
  const pageRows = hasMore ? rows.slice(0, limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return { items: pageRows.map(map), nextCursor: hasMore && last ? encodeCursor(last) : null };
}
