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

  /** Whether the contact exists and whether its profile was looked up already (a read, no write). */
  async find(key: ContactKey): Promise<{ id: string; profileFetched: boolean } | null> {
    const [row] = await prepared<{ id: string; profileFetched: boolean }[]>(
      this.dataSource.manager,
      'contact_find',
      `SELECT id, profile_fetched_at IS NOT NULL AS "profileFetched" FROM contacts
        WHERE bot_id = $1 AND channel = $2 AND external_id = $3`,
      [key.botId, key.channel, key.externalId],
    );
    return row ?? null;
  }

  /**
   * Finds or creates the contact and moves its last-seen time forward. With `profile`, also stores
   * the names a channel's profile lookup found (null after a failed lookup) and marks it done.
   */
  async recordSeen(
    key: ContactKey,
    seenAt: Date,
    tx?: EntityManager,
    profile?: { names: ContactNames | null },
  ): Promise<SeenContact> {
    const manager = tx ?? this.dataSource.manager;
    // xmax = 0 only on a freshly inserted row: it tells creation from update in one round trip.
    const rows = await prepared<(Contact & { created: boolean })[]>(
      manager,
      'contact_seen',
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at,
                             first_name, last_name, profile_fetched_at)
       VALUES ($1, $2, $3, $4, $5, $5, $6, $7, CASE WHEN $8 THEN now() END)
       ON CONFLICT (bot_id, channel, external_id) DO UPDATE
         SET last_seen_at = GREATEST(contacts.last_seen_at, EXCLUDED.last_seen_at),
             first_seen_at = LEAST(contacts.first_seen_at, EXCLUDED.first_seen_at),
             first_name = COALESCE(EXCLUDED.first_name, contacts.first_name),
             last_name = COALESCE(EXCLUDED.last_name, contacts.last_name),
             profile_fetched_at = COALESCE(contacts.profile_fetched_at, EXCLUDED.profile_fetched_at)
       RETURNING ${RETURNED_COLUMNS}, (xmax = 0) AS created`,
      [
        key.botId,
        key.channel,
        key.externalId,
        key.externalIdKind,
        seenAt,
        profile?.names?.firstName ?? null,
        profile?.names?.lastName ?? null,
        profile !== undefined,
      ],
    );
    const row = rows[0];
    if (!row) throw new Error('contact upsert returned no row');
    const { created, ...contact } = row;
    return { contact, created };
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
