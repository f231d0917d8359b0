import { randomUUID } from 'node:crypto';
import { type EntityManager } from 'typeorm';
import { prepared, preparedCarried } from '../database';
import { type Channel, type Contact, type ExternalIdKind } from './entities/contact.entity';

/**
 * The contact rules that live in SQL: concurrent inbound jobs upsert one contact at once, so
 * Postgres applies them to the row it has, not to a copy read earlier. Each is a named function of
 * SQL expressions, used in `upsertSightings` and tested on the real database
 * (test/integration/contacts.integration-spec.ts).
 */
export const ContactRules = {
  /** A contact's first-seen time only moves back: Meta may deliver an older event later. */
  firstSeenOnlyMovesBack: (current: string, incoming: string): string =>
    `LEAST(${current}, ${incoming})`,
  /** A contact's last-seen time only moves forward, for the same reason. */
  lastSeenOnlyMovesForward: (current: string, incoming: string): string =>
    `GREATEST(${current}, ${incoming})`,
  /** A profile lookup that found no name (or none was made) keeps the names already known. */
  knownNameKept: (current: string, incoming: string): string => `COALESCE(${incoming}, ${current})`,
  /** The profile is looked up once: the first lookup's time stays. */
  profileLookedUpOnce: (current: string, incoming: string): string =>
    `COALESCE(${current}, ${incoming})`,
} as const;

/** A person's id on a channel of a bot, as the upsert needs it. */
export interface SightingRow {
  botId: string;
  channel: Channel;
  externalId: string;
  externalIdKind: ExternalIdKind;
  seenAt: Date;
  /** Null when the profile lookup found none or none was made (`profiled` tells which). */
  firstName: string | null;
  lastName: string | null;
  /** Whether a profile lookup was made for this sighting. */
  profiled: boolean;
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

const R = ContactRules;

/**
 * The contacts of the given (bot, channel, external id) keys that exist, each with
 * `key = botId|channel|externalId` and whether its profile was looked up. One statement, named
 * and prepared (it runs for every inbound batch).
 */
export function findContacts(
  manager: EntityManager,
  keys: { botId: string; channel: string; externalId: string }[],
): Promise<{ id: string; key: string; profileFetched: boolean }[]> {
  return prepared(
    manager,
    'contact_find_many',
    `SELECT c.id, c.bot_id || '|' || c.channel || '|' || c.external_id AS key,
            c.profile_fetched_at IS NOT NULL AS "profileFetched"
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[]) AS k(bot_id, channel, external_id)
       JOIN contacts c USING (bot_id, channel, external_id)`,
    knownKeysValues(keys),
  );
}

/** A contact's key as one string, `botId|channel|externalId`: what `knownKeysExpr` gives. */
export function contactKeyOf(key: { botId: string; channel: string; externalId: string }): string {
  return `${key.botId}|${key.channel}|${key.externalId}`;
}

/**
 * A SQL expression (a jsonb `{"known": [...], "profiled": [...]}`) of the keys (`contactKeyOf`)
 * among the given ones whose contact exists, and of those whose profile was looked up, its three
 * arrays (bot ids, channels, external ids) numbered from `$first`: the statement part the contacts
 * module lends the Messenger inbound batch's first statement (`messenger_inbox_lock_pending`),
 * so the batch learns in the round trip that locks them which contacts need a Graph API profile
 * look-up and which are new (`recordSeenMany`'s `absent`). A function (`contacts_known_keys`,
 * migration 1796590000000-ContactsKnownKeys) rather than a subquery, so that its statement is
 * planned once per connection, not with the caller's each time, and reads when it runs (VOLATILE:
 * a snapshot of its own), not as of the caller's start. Values: `knownKeysValues`.
 */
export function knownKeysExpr(first: number): string {
  return `contacts_known_keys($${first}::uuid[], $${first + 1}::varchar[], $${first + 2}::varchar[])`;
}

/** The values of `knownKeysExpr` (and of `findContacts`), in its parameters' order. */
export function knownKeysValues(
  keys: { botId: string; channel: string; externalId: string }[],
): unknown[] {
  return [keys.map((k) => k.botId), keys.map((k) => k.channel), keys.map((k) => k.externalId)];
}

/**
 * Creates or updates the contact of each sighting (keys must be distinct) in one statement,
 * following `ContactRules`; each row says whether it was `created`. Rows come back in no
 * particular order: the caller matches them by key.
 */
export function upsertSightings(
  manager: EntityManager,
  sightings: SightingRow[],
): Promise<(Contact & { created: boolean })[]> {
  // xmax = 0 only on a freshly inserted row: it tells creation from update in one round trip.
  return prepared(
    manager,
    'contact_seen_many',
    `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at,
                           first_name, last_name, profile_fetched_at)
     SELECT bot_id, channel, external_id, kind, seen_at, seen_at, first_name, last_name,
            CASE WHEN profiled THEN now() END
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::timestamptz[],
                   $6::varchar[], $7::varchar[], $8::boolean[])
         AS s(bot_id, channel, external_id, kind, seen_at, first_name, last_name, profiled)
     ON CONFLICT (bot_id, channel, external_id) DO UPDATE
       SET last_seen_at = ${R.lastSeenOnlyMovesForward('contacts.last_seen_at', 'EXCLUDED.last_seen_at')},
           first_seen_at = ${R.firstSeenOnlyMovesBack('contacts.first_seen_at', 'EXCLUDED.first_seen_at')},
           first_name = ${R.knownNameKept('contacts.first_name', 'EXCLUDED.first_name')},
           last_name = ${R.knownNameKept('contacts.last_name', 'EXCLUDED.last_name')},
           profile_fetched_at = ${R.profileLookedUpOnce('contacts.profile_fetched_at', 'EXCLUDED.profile_fetched_at')}
     RETURNING ${RETURNED_COLUMNS}, (xmax = 0) AS created`,
    sightingValues(sightings),
  );
}

/**
 * Inserts the contacts of sightings that have none (`absent` keys, read under the caller's locks:
 * `knownKeysExpr`), with ids given here and the app's clock as their creation and (when looked
 * up) profile time, and returns them as `upsertSightings` would, without waiting: nothing in the
 * transaction needs its answer, so it is issued carried (preparedCarried: in a pipelined
 * transaction it travels with the next statement). A plain INSERT: a contact that came to exist
 * after all fails the transaction (unique violation), which the caller retries.
 */
export async function insertAbsentSightings(
  manager: EntityManager,
  sightings: SightingRow[],
): Promise<(Contact & { created: boolean })[]> {
  if (sightings.length === 0) return [];
  const ids = sightings.map(() => randomUUID());
  const now = new Date();
  await preparedCarried(
    manager,
    'contact_insert_absent',
    `INSERT INTO contacts (id, bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at,
                           first_name, last_name, profile_fetched_at, created_at)
     SELECT id, bot_id, channel, external_id, kind, seen_at, seen_at, first_name, last_name,
            CASE WHEN profiled THEN $10::timestamptz END, $10::timestamptz
       FROM unnest($1::uuid[], $2::varchar[], $3::varchar[], $4::varchar[], $5::timestamptz[],
                   $6::varchar[], $7::varchar[], $8::boolean[], $9::uuid[])
         AS s(bot_id, channel, external_id, kind, seen_at, first_name, last_name, profiled, id)`,
    [...sightingValues(sightings), ids, now],
  );
  return sightings.map((s, k) => ({
    id: ids[k],
    botId: s.botId,
    channel: s.channel,
    externalId: s.externalId,
    externalIdKind: s.externalIdKind,
    firstName: s.firstName,
    lastName: s.lastName,
    profileFetchedAt: s.profiled ? now : null,
    firstSeenAt: s.seenAt,
    lastSeenAt: s.seenAt,
    createdAt: now,
    created: true,
  }));
}

/** The values of the sightings' eight arrays ($1 to $8), as `upsertSightings` takes them. */
function sightingValues(sightings: SightingRow[]): unknown[] {
  return [
    sightings.map((s) => s.botId),
    sightings.map((s) => s.channel),
    sightings.map((s) => s.externalId),
    sightings.map((s) => s.externalIdKind),
    sightings.map((s) => s.seenAt),
    sightings.map((s) => s.firstName),
    sightings.map((s) => s.lastName),
    sightings.map((s) => s.profiled),
  ];
}
