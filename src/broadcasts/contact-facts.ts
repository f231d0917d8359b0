import { Injectable } from '@nestjs/common';
import { ContactsService } from '../contacts';
import { BulkSendService } from '../conversations';
import { BroadcastsRepository } from './broadcasts.repository';
import { type BroadcastRules, type ContactFacts } from './messaging-policy';

/** Loads what the messaging policy needs for a chunk of contacts: three queries per chunk. */
@Injectable()
export class ContactFactsLoader {
  constructor(
    private readonly bulk: BulkSendService,
    private readonly contacts: ContactsService,
    private readonly repository: BroadcastsRepository,
  ) {}

  /** The facts of each contact, in the order given. */
  async load(
    botId: string,
    contactIds: string[],
    rules: BroadcastRules,
    now: Date,
  ): Promise<ContactFacts[]> {
    const [targets, unreachable, notifications] = await Promise.all([
      this.bulk.targets(botId, contactIds),
      this.repository.unreachable(botId, contactIds),
      rules.notificationTopic === null
        ? Promise.resolve(new Map<string, never>())
        : this.contacts.notificationStates(
            botId,
            contactIds,
            rules.notificationTopic,
            'notification_messages',
            now,
          ),
    ]);
    return contactIds.map((id) => ({
      target: targets.get(id),
      unavailable: unreachable.has(id),
      notification: notifications.get(id),
    }));
  }
}
