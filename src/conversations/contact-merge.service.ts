import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { type Channel, ContactsService, type ExternalIdKind } from '../contacts';
import { ReferralsService } from '../referrals';
import { SegmentsService } from '../segments';
import { ContactMergeRepository } from './contact-merge.repository';

/**
 * Makes one contact of two ids a channel says are one person (Messenger's checkbox plugin: the
 * opt-in's user_ref, then the PSID whose first message names it). Here because a merge touches
 * every module that keeps rows per contact, and conversations sit above them all.
 */
@Injectable()
export class ContactMergeService {
  constructor(
    private readonly contacts: ContactsService,
    private readonly referrals: ReferralsService,
    private readonly segments: SegmentsService,
    private readonly repository: ContactMergeRepository,
  ) {}

  /**
   * In the caller's transaction, before the event from `to` is handled: when only `from` has a
   * contact, `to` becomes its own id; when both have one, `from`'s contact (its conversation and
   * message log, entries, memberships, subscriptions, ids) is folded into `to`'s, so the person is
   * one contact counted once. Returns the contact's id, or null when `from` names no contact.
   */
  async link(
    tx: EntityManager,
    botId: string,
    channel: Channel,
    from: string,
    to: { externalId: string; externalIdKind: ExternalIdKind },
  ): Promise<string | null> {
    const linked = await this.contacts.linkIdentity(tx, { botId, channel, externalId: from }, to);
    if (!linked?.absorb) return linked?.contactId ?? null;
    const survivorId = linked.contactId;
    const absorbedId = linked.absorb.id;
    const conversations = await this.mergeConversations(tx, botId, absorbedId, survivorId);
    await this.referrals.moveEntries(tx, {
      botId,
      fromContactId: absorbedId,
      toContactId: survivorId,
      ...conversations,
      firstSeenAt: linked.firstSeenAt,
    });
    await this.segments.moveMembers(tx, botId, absorbedId, survivorId);
    await this.contacts.absorbContact(tx, botId, linked.absorb, survivorId);
    return survivorId;
  }

  /**
   * Moves the absorbed contact's conversation to the survivor: as it is when the survivor has none,
   * else its messages and replies join the survivor's, which keeps the earlier start and first
   * referral, the later inbound time and last referral, and a handover of either.
   */
  private async mergeConversations(
    tx: EntityManager,
    botId: string,
    absorbedId: string,
    survivorId: string,
  ): Promise<{ fromConversationId: string | null; toConversationId: string | null }> {
    const from = await this.repository.lockConversation(tx, botId, absorbedId);
    const to = await this.repository.lockConversation(tx, botId, survivorId);
    if (!from) return { fromConversationId: null, toConversationId: to?.id ?? null };
    if (!to) {
      await this.repository.moveConversation(tx, from.id, survivorId);
      return { fromConversationId: from.id, toConversationId: from.id };
    }
    await this.repository.foldConversation(tx, from.id, to.id);
    return { fromConversationId: from.id, toConversationId: to.id };
  }
}
