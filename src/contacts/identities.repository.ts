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

/**
 * Makes `to` the own id of the contact known by `from`, and keeps `from` as a linked identity, in
 * the caller's transaction: memberships, entries and the conversation stay with the contact,
 * since its row is the same. Returns the contact's id, or null when nothing was linked: `from` names
 * no contact, is linked already, or `to` already names another contact (two histories are not
 * merged; the event from `to` then stays with its own contact).
 */
export async function linkIdentity(
  tx: EntityManager,
  from: IdentityKey,
  to: { externalId: string; externalIdKind: ExternalIdKind },
): Promise<string | null> {
  const rows = await tx.query<{ id: string }[]>(
    `WITH old AS (
       SELECT id, external_id, external_id_kind FROM contacts
        WHERE bot_id = $1 AND channel = $2 AND external_id = $3
          AND NOT EXISTS (SELECT 1 FROM contacts WHERE bot_id = $1 AND channel = $2 AND external_id = $4)
        FOR UPDATE
     ), renamed AS (
       UPDATE contacts c SET external_id = $4, external_id_kind = $5
         FROM old WHERE c.id = old.id RETURNING c.id
     ), linked AS (
       INSERT INTO contact_identities (bot_id, contact_id, channel, external_id, external_id_kind)
       SELECT $1, old.id, $2, old.external_id, old.external_id_kind FROM old
       ON CONFLICT (bot_id, channel, external_id) DO NOTHING
     )
     SELECT id FROM renamed`,
    [from.botId, from.channel, from.externalId, to.externalId, to.externalIdKind],
  );
  return rows[0]?.id ?? null;
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
