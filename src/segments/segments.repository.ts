import { type EntityManager } from 'typeorm';

/**
 * Who a Broadcast reaches: members of any `include` segment, who are also in every `intersect`
 * segment and in no `exclude` segment. With no `include`, the first `intersect` segment is the base.
 */
export interface AudienceQuery {
  include?: string[];
  intersect?: string[];
  exclude?: string[];
}

export interface AudiencePage {
  contactIds: string[];
  /** Pass back as `after` for the next page; null on the last page. */
  next: string | null;
}

/** Sorted, deduplicated segment ids of each part, with the base set resolved. */
export function normaliseAudience(query: AudienceQuery): Required<AudienceQuery> | null {
  const unique = (ids: string[] | undefined): string[] => [...new Set(ids ?? [])].sort();
  const include = unique(query.include);
  const intersect = unique(query.intersect);
  const exclude = unique(query.exclude);
  if (include.length === 0 && intersect.length === 0) return null;
  return { include: include.length > 0 ? include : [intersect[0]], intersect, exclude };
}

/**
 * One page of the audience in contact-id order (keyset): each page costs the same however deep it
 * is, so a million members stream in constant memory.
 */
export async function audiencePage(
  manager: EntityManager,
  botId: string,
  query: Required<AudienceQuery>,
  after: string | null,
  limit: number,
): Promise<AudiencePage> {
  const rows = await manager.query<{ id: string }[]>(
    `SELECT DISTINCT m.contact_id AS id
       FROM segment_members m
      WHERE m.bot_id = $1
        AND m.segment_id = ANY($2::uuid[])
        AND ($3::uuid IS NULL OR m.contact_id > $3::uuid)
        AND (cardinality($4::uuid[]) = 0 OR (
              SELECT count(*) FROM segment_members i
               WHERE i.contact_id = m.contact_id AND i.segment_id = ANY($4::uuid[])
            ) = cardinality($4::uuid[]))
        AND NOT EXISTS (
              SELECT 1 FROM segment_members e
               WHERE e.contact_id = m.contact_id AND e.segment_id = ANY($5::uuid[]))
      ORDER BY m.contact_id
      LIMIT $6`,
    [botId, query.include, after, query.intersect, query.exclude, limit + 1],
  );
  const ids = rows.slice(0, limit).map((row) => row.id);
  return { contactIds: ids, next: rows.length > limit ? (ids[ids.length - 1] ?? null) : null };
}
