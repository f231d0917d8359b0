import { type EntityManager } from 'typeorm';
import { prepared } from './prepared';

/**
 * `count` unused values of the sequence `sequence` (its name, as SQL writes it), as text (bigint),
 * in one statement (named and prepared: the same for every sequence, whose name is a value).
 */
export async function nextValues(
  manager: EntityManager,
  sequence: string,
  count: number,
): Promise<string[]> {
  const rows = await prepared<{ id: string }[]>(
    manager,
    'sequence_next_values',
    `SELECT nextval($1::regclass)::text AS id FROM generate_series(1, $2::int)`,
    [sequence, count],
  );
  return rows.map((row) => row.id);
}
