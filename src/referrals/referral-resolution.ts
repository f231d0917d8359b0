import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { BotsService } from '../bots/bots.service';
import { type Channel, ContactsService } from '../contacts';
import { prepared } from '../database';
import { type ModuleAnswer, ModulesService } from '../modules';
import { SegmentsService } from '../segments';
import { type ActiveReferral, findActiveReferral } from './find-active-referral';

export interface ResolveInput {
  botId: string;
  contactId: string;
  conversationId: string | null;
  channel: Channel;
  /** The raw ref; null for plugin referrals that carry none. */
  ref: string | null;
  source: string | null;
  adId?: string | null;
  adsContext?: Record<string, unknown> | null;
  refererUri?: string | null;
  occurredAt: Date;
  /** When the caller already has the contact: spares a lookup on the hot path. */
  contactFirstSeenAt?: Date;
}

export interface Resolution {
  /** The active referral the ref matched, or null (unknown, inactive, deleted or no ref). */
  referral: { id: string; trackingParam: string } | null;
  entryId: string;
  isNewContact: boolean;
  /** The referral's answer, or the bot's welcome when no referral applies. */
  answer: ModuleAnswer;
}

/** Records an entry and the segment membership, and finds the answer, inside the caller's transaction. */
@Injectable()
export class ReferralResolution {
  constructor(
    private readonly bots: BotsService,
    private readonly contacts: ContactsService,
    private readonly segments: SegmentsService,
    private readonly modules: ModulesService,
  ) {}

  async resolve(input: ResolveInput, tx: EntityManager): Promise<Resolution> {
    const referral = input.ref ? await findActiveReferral(tx, input.botId, input.ref) : null;
    const firstSeenAt = input.contactFirstSeenAt ?? (await this.firstSeenAt(input, tx));
    const isNewContact = firstSeenAt.getTime() >= input.occurredAt.getTime();
    const [entry] = await prepared<{ id: string }[]>(
      tx,
      'referral_entry_insert',
      `INSERT INTO referral_entries (bot_id, referral_id, raw_ref, source, channel, contact_id, conversation_id,
                                     is_new_contact, ad_id, ads_context, referer_uri, occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
      [
        input.botId,
        referral?.id ?? null,
        input.ref?.slice(0, 2100) ?? null,
        input.source?.slice(0, 100) ?? null,
        input.channel,
        input.contactId,
        input.conversationId,
        isNewContact,
        input.adId?.slice(0, 100) ?? null,
        input.adsContext ? JSON.stringify(input.adsContext) : null,
        input.refererUri ?? null,
        input.occurredAt,
      ],
    );
    if (referral) {
      await this.segments.addMember(
        {
          botId: input.botId,
          segmentId: referral.segmentId,
          contactId: input.contactId,
          joinedAt: input.occurredAt,
          referralId: referral.id,
          trackingParam: referral.trackingParam,
        },
        tx,
      );
    }
    return {
      referral: referral ? { id: referral.id, trackingParam: referral.trackingParam } : null,
      entryId: entry.id,
      isNewContact,
      answer:
        (referral && (await this.answerOf(referral, tx))) ?? (await this.welcome(input.botId, tx)),
    };
  }

  private async firstSeenAt(input: ResolveInput, tx: EntityManager): Promise<Date> {
    const contact = await this.contacts.get(input.botId, input.contactId, tx);
    if (!contact) throw new Error(`contact ${input.contactId} of bot ${input.botId} not found`);
    return contact.firstSeenAt;
  }

  private async answerOf(
    referral: ActiveReferral,
    tx: EntityManager,
  ): Promise<ModuleAnswer | null> {
    if (referral.answerType === 'message')
      return referral.content ? { content: referral.content } : null;
    return referral.moduleId ? this.modules.enter(referral.botId, referral.moduleId, tx) : null;
  }

  private async welcome(botId: string, tx: EntityManager): Promise<ModuleAnswer> {
    const settings = await this.bots.getAnswerSettings(botId, tx);
    return { content: settings?.welcome ?? null };
  }
}
