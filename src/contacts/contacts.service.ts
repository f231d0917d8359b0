import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager, In } from 'typeorm';
import { prepared } from '../database';
import { type Channel, Contact, type ExternalIdKind } from './entities/contact.entity';

export interface ContactKey {
  botId: string;
  channel: Channel;
  externalId: string;
  externalIdKind: ExternalIdKind;
}

export interface ContactNames {
  firstName: string | null;
  lastName: string | null;
}

export interface Sighting {
  key: ContactKey;
  seenAt: Date;
  profile?: { names: ContactNames | null };
}

function keyOf(key: { botId: string; channel: string; externalId: string }): string {
  return `${key.botId}|${key.channel}|${key.externalId}`;
}

export interface SeenContact {
  contact: Contact;
  /** True when this event is the first the bot ever saw from this person. */
  created: boolean;
}

const RETURNED_COLUMNS = [
  'id',
  'bot_id AS "botId"',
  'channel',
  'external_id AS "externalId"',
  'external_id_kind AS "externalIdKind"',
  'first_name AS "firstName"',
  'last_name AS "lastName"',
  'profile_fetched_at AS "profileFetchedAt"',
  'first_seen_at AS "firstSeenAt"',
  'last_seen_at AS "lastSeenAt"',
  'created_at AS "createdAt"',
].join(', ');

@Injectable()
export class ContactsService {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** For each key (in order): the contact's id and whether its profile was looked up, or null. */
  async findMany(keys: ContactKey[]): Promise<({ id: string; profileFetched: boolean } | null)[]> {
    if (keys.length === 0) return [];
    const rows = await prepared<{ id: string; key: string; profileFetched: boolean }[]>(
      this.dataSource.manager,
      'contact_find_many',
      `SELECT c.id, c.bot_id || '|' || c.channel || '|' || c.external_id AS key,
              c.profile_fetched_at IS NOT NULL AS "profileFetched"
         FROM unnest($1::uuid[], $2::varchar[], $3::varchar[]) AS k(bot_id, channel, external_id)
         JOIN contacts c USING (bot_id, channel, external_id)`,
      [keys.map((k) => k.botId), keys.map((k) => k.channel), keys.map((k) => k.externalId)],
    );
    const found = new Map(rows.map(({ key, ...row }) => [key, row]));
    return keys.map((key) => found.get(keyOf(key)) ?? null);
  }

  /** Finds or creates the contact and moves its last-seen time forward. */
  async recordSeen(
    key: ContactKey,
    seenAt: Date,
    tx?: EntityManager,
    profile?: { names: ContactNames | null },
  ): Promise<SeenContact> {
    const [seen] = await this.recordSeenMany([{ key, seenAt, profile }], tx);
    return seen;
  }

  /**
   * `recordSeen` for many contacts in one statement; results in the order given. With `profile`,
   * also stores the names a channel's profile lookup found (null after a failed lookup) and marks
   * the lookup done. Keys must be distinct.
   */
  async recordSeenMany(sightings: Sighting[], tx?: EntityManager): Promise<SeenContact[]> {
    if (sightings.length === 0) return [];
    // xmax = 0 only on a freshly inserted row: it tells creation from update in one round trip.
    const rows = await prepared<(Contact & { created: boolean })[]>(
      tx ?? this.dataSource.manager,
      'contact_seen_many',
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at,
                             first_name, last_name, profile_fetched_at)
       SELECT bot_id, channel, external_id, kind, seen_at, seen_at, first_name, last_name,
              CASE WHEN profiled THEN now() END
         FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::timestamptz[],
                     $6::varchar[], $7::varchar[], $8::boolean[])
           AS s(bot_id, channel, external_id, kind, seen_at, first_name, last_name, profiled)
       ON CONFLICT (bot_id, channel, external_id) DO UPDATE
         SET last_seen_at = GREATEST(contacts.last_seen_at, EXCLUDED.last_seen_at),
             first_seen_at = LEAST(contacts.first_seen_at, EXCLUDED.first_seen_at),
             first_name = COALESCE(EXCLUDED.first_name, contacts.first_name),
             last_name = COALESCE(EXCLUDED.last_name, contacts.last_name),
             profile_fetched_at = COALESCE(contacts.profile_fetched_at, EXCLUDED.profile_fetched_at)
       RETURNING ${RETURNED_COLUMNS}, (xmax = 0) AS created`,
      [
        sightings.map((s) => s.key.botId),
        sightings.map((s) => s.key.channel),
        sightings.map((s) => s.key.externalId),
        sightings.map((s) => s.key.externalIdKind),
        sightings.map((s) => s.seenAt),
        sightings.map((s) => s.profile?.names?.firstName ?? null),
        sightings.map((s) => s.profile?.names?.lastName ?? null),
        sightings.map((s) => s.profile !== undefined),
      ],
    );
    const byKey = new Map(
      rows.map(({ created, ...contact }) => [keyOf(contact), { contact, created }]),
    );
    return sightings.map((sighting) => {
      const seen = byKey.get(keyOf(sighting.key));
      if (!seen) throw new Error('contact upsert returned no row');
      return seen;
    });
  }

  async get(botId: string, contactId: string, tx?: EntityManager): Promise<Contact | null> {
    return (tx ?? this.dataSource.manager).findOneBy(Contact, { id: contactId, botId });
  }

  async getMany(botId: string, contactIds: string[]): Promise<Map<string, Contact>> {
    if (contactIds.length === 0) return new Map();
    const contacts = await this.dataSource.manager.findBy(Contact, { botId, id: In(contactIds) });
    return new Map(contacts.map((contact) => [contact.id, contact]));
  }
}
