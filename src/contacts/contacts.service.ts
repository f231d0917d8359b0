import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { createHmac } from 'node:crypto';
import { DataSource, type EntityManager, In } from 'typeorm';
import { SecretCipher } from '../common/crypto/secret-cipher';
import { AppConfig } from '../config';
import {
  type SubscriptionStatus,
  type SubscriptionType,
} from './entities/contact-subscription.entity';
import { type Channel, Contact, type ExternalIdKind } from './entities/contact.entity';
import {
  contactKeyOf as keyOf,
  findContacts,
  insertAbsentSightings,
  type SightingRow,
  upsertSightings,
} from './contacts.repository';
import {
  absorbContact,
  contactsToLink,
  identitiesOf,
  type IdentityKey,
  type IdentityRow,
  type LinkedContact,
  primaryIdsOf,
  renameContact,
} from './identities.repository';
import {
  activeSubscription,
  type NotificationState,
  notificationStates,
  setSubscriptionStatus,
  type SubscriptionRow,
  subscriptionsOf,
  topicOfToken,
  upsertSubscription,
} from './subscriptions.repository';

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

/**
 * An opt-in Meta sent for marketing messages or a one-time notification (see the Messenger
 * Platform's `messaging_optins` webhook): what the channel read from it, token in clear.
 */
export interface SubscriptionEvent {
  botId: string;
  contactId: string;
  channel: Channel;
  type: SubscriptionType;
  /** `optin.payload`; null when the event names only the token (Meta's STOP can). */
  topic: string | null;
  title: string | null;
  /** The token Meta issued; null when the event carries none. */
  token: string | null;
  status: SubscriptionStatus;
  frequency: string | null;
  timezone: string | null;
  tokenExpiresAt: Date | null;
  userTokenStatus: string | null;
  occurredAt: Date;
}

/** A subscription as shown to API clients: everything but the token. */
export type SubscriptionView = Omit<SubscriptionRow, 'tokenEncrypted' | 'contactId'>;

/** A contact with its ids and subscriptions, for the management API. */
export interface ContactView {
  contact: Contact;
  identities: IdentityRow[];
  subscriptions: SubscriptionView[];
}

export interface SeenContact {
  contact: Contact;
  /**
   * True when this event is the first the bot ever saw from this person: the upsert inserted the
   * contact's row, in the caller's transaction.
   */
  created: boolean;
}

@Injectable()
export class ContactsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly cipher: SecretCipher,
    private readonly config: AppConfig,
  ) {}

  /**
   * For each key (in order): the contact's id and whether its profile was looked up, or null. In
   * the caller's transaction when `tx` is given.
   */
  async findMany(
    keys: ContactKey[],
    tx?: EntityManager,
  ): Promise<({ id: string; profileFetched: boolean } | null)[]> {
    if (keys.length === 0) return [];
    const rows = await findContacts(tx ?? this.dataSource.manager, keys);
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
   * the lookup done. Keys must be distinct. `absent`: keys (`contactKeyOf`) the caller read to have
   * no contact, under locks that keep it so (the Messenger batch's, `knownKeysExpr`): those are
   * inserted with ids given here, in a statement that waits for no answer
   * (`insertAbsentSightings`); one that exists after all fails `tx` (a unique violation).
   */
  async recordSeenMany(
    sightings: Sighting[],
    tx?: EntityManager,
    absent: ReadonlySet<string> = new Set(),
  ): Promise<SeenContact[]> {
    if (sightings.length === 0) return [];
    const resolved = await this.resolveLinked(sightings, tx ?? this.dataSource.manager);
    if (resolved !== sightings) {
      // Two ids of one person in one call: the contact is upserted once, seen at the later time.
      const distinct = new Map<string, Sighting>();
      for (const sighting of resolved) {
        const known = distinct.get(keyOf(sighting.key));
        if (!known || known.seenAt < sighting.seenAt) distinct.set(keyOf(sighting.key), sighting);
      }
      const seen = await this.recordSeenMany([...distinct.values()], tx);
      const byKey = new Map([...distinct.keys()].map((key, index) => [key, seen[index]]));
      return resolved.map((sighting) => byKey.get(keyOf(sighting.key))!);
    }
    const manager = tx ?? this.dataSource.manager;
    const rowOf = ({ key, seenAt, profile }: Sighting): SightingRow => ({
      ...key,
      seenAt,
      firstName: profile?.names?.firstName ?? null,
      lastName: profile?.names?.lastName ?? null,
      profiled: profile !== undefined,
    });
    const isAbsent = (sighting: Sighting) => absent.has(keyOf(sighting.key));
    const toInsert = sightings.filter(isAbsent).map(rowOf);
    const inserted = await insertAbsentSightings(manager, toInsert);
    const toUpsert = sightings.filter((sighting) => !isAbsent(sighting));
    const upserted = toUpsert.length > 0 ? await upsertSightings(manager, toUpsert.map(rowOf)) : [];
    const rows = [...inserted, ...upserted];
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

  /**
   * Sightings whose id is a linked identity of a contact (a checkbox user_ref whose PSID is known
   * now) become sightings of that contact's own id. Only user_refs are ever linked, so calls
   * without one (almost all) cost nothing. Returns `sightings` itself when nothing changed.
   */
  private async resolveLinked(sightings: Sighting[], manager: EntityManager): Promise<Sighting[]> {
    const candidates = sightings.filter((s) => s.key.externalIdKind === 'user_ref');
    if (candidates.length === 0) return sightings;
    const primaries = await primaryIdsOf(
      manager,
      candidates.map((s) => s.key),
    );
    if (primaries.every((primary) => primary === null)) return sightings;
    const replaced = new Map(candidates.map((s, index) => [s, primaries[index]]));
    return sightings.map((s) => {
      const primary = replaced.get(s);
      return primary ? { ...s, key: { ...s.key, ...primary } } : s;
    });
  }

  /**
   * Meta said `from` and `to` are one person (a checkbox plugin's user_ref, then the PSID whose
   * first message names it in `prior_message`). When only `from` has a contact, `to` becomes its own
   * id (replies go there) and `from` a linked identity: done, `absorb` is null. When both have one,
   * the caller moves its modules' rows from `absorb` to `contactId` and then calls `absorbContact`.
   * Null when `from` names no contact (nothing to link). In the caller's transaction.
   */
  async linkIdentity(
    tx: EntityManager,
    from: IdentityKey,
    to: { externalId: string; externalIdKind: ExternalIdKind },
  ): Promise<{ contactId: string; absorb: LinkedContact | null; firstSeenAt: Date } | null> {
    const { source, target } = await contactsToLink(tx, from, to.externalId);
    if (!source) return null;
    if (!target) {
      await renameContact(tx, from.botId, from.channel, source, to);
      return { contactId: source.id, absorb: null, firstSeenAt: source.firstSeenAt };
    }
    const firstSeenAt =
      source.firstSeenAt < target.firstSeenAt ? source.firstSeenAt : target.firstSeenAt;
    return { contactId: target.id, absorb: source, firstSeenAt };
  }

  /** Ends a merge `linkIdentity` asked for: see absorbContact in the identities repository. */
  async absorbContact(
    tx: EntityManager,
    botId: string,
    absorbed: LinkedContact,
    survivorId: string,
  ): Promise<void> {
    await absorbContact(tx, botId, absorbed, survivorId);
  }

  /**
   * Stores what opt-in events say about a contact's subscriptions, in order: a new token replaces
   * the old one of its (type, topic) and is encrypted with SECRETS_KEY like page tokens; STOP marks
   * the subscription stopped, RESUME active. An event naming neither a topic nor a token changes
   * nothing.
   */
  async recordSubscriptions(events: SubscriptionEvent[], tx: EntityManager): Promise<void> {
    for (const event of events) {
      const tokenHash = event.token ? this.tokenHash(event.token) : null;
      // A STOP may name only the token; a first opt-in without payload subscribes to topic ''.
      const topic =
        event.topic ??
        (tokenHash
          ? ((await topicOfToken(tx, event.botId, event.contactId, tokenHash)) ?? '')
          : null);
      if (topic === null) continue;
      if (event.token && tokenHash) {
        await upsertSubscription(tx, {
          ...event,
          topic,
          tokenEncrypted: this.cipher.encrypt(event.token),
          tokenHash,
        });
      } else {
        await setSubscriptionStatus(tx, { ...event, topic });
      }
    }
  }

  /**
   * The token to send a marketing message (`notification_messages`) on `topic` to the contact with,
   * decrypted; null when the contact has no active, unexpired subscription to it. For broadcasts:
   * Meta's Send API takes it as `recipient.notification_messages_token`.
   */
  async activeNotificationToken(
    botId: string,
    contactId: string,
    topic: string,
    type: SubscriptionType = 'notification_messages',
    now = new Date(),
  ): Promise<string | null> {
    const row = await activeSubscription(
      this.dataSource.manager,
      botId,
      contactId,
      type,
      topic,
      now,
    );
    return row ? this.cipher.decrypt(row.tokenEncrypted) : null;
  }

  /**
   * For many contacts at once (a broadcast's chunk): whether each one's subscription of `type` to
   * `topic` is `active`, `stopped` (STOP_NOTIFICATIONS) or `expired` (past `token_expiry_timestamp`);
   * contacts that never subscribed are not in the map.
   */
  notificationStates(
    botId: string,
    contactIds: string[],
    topic: string,
    type: SubscriptionType = 'notification_messages',
    now = new Date(),
  ): Promise<Map<string, NotificationState>> {
    return notificationStates(this.dataSource.manager, botId, contactIds, type, topic, now);
  }

  /** The contact with its ids and subscriptions (tokens left out), or null when not the bot's. */
  async view(botId: string, contactId: string): Promise<ContactView | null> {
    const manager = this.dataSource.manager;
    const contact = await this.get(botId, contactId);
    if (!contact) return null;
    const [identities, subscriptions] = await Promise.all([
      identitiesOf(manager, botId, contactId),
      subscriptionsOf(manager, botId, contactId),
    ]);
    return {
      contact,
      identities,
      subscriptions: subscriptions.map(({ tokenEncrypted: _t, contactId: _c, ...view }) => view),
    };
  }

  /** Keyed so a leaked database does not let anyone confirm a guessed token. */
  private tokenHash(token: string): string {
    return createHmac('sha256', this.config.secretsKey).update(token).digest('hex');
  }
}
