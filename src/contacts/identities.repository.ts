import { type EntityManager } from 'typeorm';
import { prepared } from '../database';
import { type Channel, type ExternalIdKind } from './entities/contact.entity';

export interface IdentityKey {
  botId: string;
  channel: Channel;
  externalId: string;
}

/** A contact's id on a channel: its own (`primary`, what the bot sends to) or a linked one. */
export interface IdentityRow {
  channel: Channel;
  externalId: string;
  externalIdKind: ExternalIdKind;
  primary: boolean;
  since: Date;
}

/**
 * For keys that are linked identities of a contact, that contact's own id and kind (in the order
 * given; null where the key is no linked identity).
 */
export async function primaryIdsOf(
  manager: EntityManager,
  keys: IdentityKey[],
): Promise<({ externalId: string; externalIdKind: ExternalIdKind } | null)[]> {
  if (keys.length === 0) return [];
  const rows = await prepared<
    { position: string; externalId: string; externalIdKind: ExternalIdKind }[]
  >(
    manager,
    'contact_identities_primary',
    `SELECT k.position, c.external_id AS "externalId", c.external_id_kind AS "externalIdKind"
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[]) WITH ORDINALITY AS k(bot_id, channel, external_id, position)
       JOIN contact_identities i USING (bot_id, channel, external_id)
       JOIN contacts c ON c.id = i.contact_id`,
    [keys.map((k) => k.botId), keys.map((k) => k.channel), keys.map((k) => k.externalId)],
  );
  const found = new Map(rows.map(({ position, ...primary }) => [Number(position) - 1, primary]));
  return keys.map((_key, index) => found.get(index) ?? null);
}

/** A contact's row as linking needs it. */
export interface LinkedContact {
  id: string;
  externalId: string;
  externalIdKind: ExternalIdKind;
  firstSeenAt: Date;
}

/** The contacts named by `from` and by `to` (same bot and channel), locked for the transaction. */
export async function contactsToLink(
  tx: EntityManager,
  from: IdentityKey,
  toExternalId: string,
): Promise<{ source: LinkedContact | null; target: LinkedContact | null }> {
  const rows = await tx.query<LinkedContact[]>(
    `SELECT id, external_id AS "externalId", external_id_kind AS "externalIdKind", first_seen_at AS "firstSeenAt"
       FROM contacts WHERE bot_id = $1 AND channel = $2 AND external_id = ANY($3::varchar[])
      ORDER BY id FOR UPDATE`,
    [from.botId, from.channel, [from.externalId, toExternalId]],
  );
  return {
    source: rows.find((row) => row.externalId === from.externalId) ?? null,
    target: rows.find((row) => row.externalId === toExternalId) ?? null,
  };
}

/** Gives `contact` a new own id, keeping its old one as a linked identity. */
export async function renameContact(
  tx: EntityManager,
  botId: string,
  channel: Channel,
  contact: LinkedContact,
  to: { externalId: string; externalIdKind: ExternalIdKind },
): Promise<void> {
  await tx.query(
    `WITH renamed AS (
       UPDATE contacts SET external_id = $4, external_id_kind = $5 WHERE id = $3
     )
     INSERT INTO contact_identities (bot_id, contact_id, channel, external_id, external_id_kind)
     VALUES ($1, $3, $2, $6, $7) ON CONFLICT (bot_id, channel, external_id) DO NOTHING`,
    [
      botId,
      channel,
      contact.id,
      to.externalId,
      to.externalIdKind,
      contact.externalId,
      contact.externalIdKind,
    ],
  );
}

/**
 * Folds `absorbed` into `survivor` (same bot): its subscriptions (where the survivor has none of
 * that type and topic) and linked ids move over, its own id becomes a linked id of the survivor,
 * first and last sightings and names combine, and the absorbed row is deleted. Other modules'
 * rows must have been moved first: deleting the contact cascades to what is left.
 */
export async function absorbContact(
  tx: EntityManager,
  botId: string,
  absorbed: LinkedContact,
  survivorId: string,
): Promise<void> {
  await tx.query(
    `WITH subscriptions AS (
       UPDATE contact_subscriptions s SET contact_id = $3
        WHERE s.bot_id = $1 AND s.contact_id = $2 AND NOT EXISTS (
          SELECT 1 FROM contact_subscriptions o
           WHERE o.contact_id = $3 AND o.type = s.type AND o.topic = s.topic)
     ), identities AS (
       UPDATE contact_identities SET contact_id = $3 WHERE bot_id = $1 AND contact_id = $2
     ), survivor AS (
       UPDATE contacts c SET first_seen_at = LEAST(c.first_seen_at, a.first_seen_at),
              last_seen_at = GREATEST(c.last_seen_at, a.last_seen_at),
              first_name = COALESCE(c.first_name, a.first_name),
              last_name = COALESCE(c.last_name, a.last_name)
         FROM contacts a WHERE c.id = $3 AND a.id = $2
     )
     INSERT INTO contact_identities (bot_id, contact_id, channel, external_id, external_id_kind)
     SELECT bot_id, $3, channel, external_id, external_id_kind FROM contacts WHERE id = $2
     ON CONFLICT (bot_id, channel, external_id) DO NOTHING`,
    [botId, absorbed.id, survivorId],
  );
  // A separate statement: rows a data-modifying CTE changed are not visible to its siblings.
  await tx.query(`DELETE FROM contacts WHERE bot_id = $1 AND id = $2`, [botId, absorbed.id]);
}

/** The contact's ids: its own first, then the linked ones, oldest first. */
export async function identitiesOf(
  manager: EntityManager,
  botId: string,
  contactId: string,
): Promise<IdentityRow[]> {
  return manager.query<IdentityRow[]>(
    `SELECT * FROM (
       SELECT channel, external_id AS "externalId", external_id_kind AS "externalIdKind",
              true AS "primary", first_seen_at AS since
         FROM contacts WHERE bot_id = $1 AND id = $2
       UNION ALL
       SELECT channel, external_id, external_id_kind, false, created_at
         FROM contact_identities WHERE bot_id = $1 AND contact_id = $2
     ) ids ORDER BY "primary" DESC, since`,
    [botId, contactId],
  );
}
