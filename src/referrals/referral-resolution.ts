import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { BotsService } from '../bots/bots.service';
import { type Channel, ContactsService } from '../contacts';
import { type ModuleAnswer, ModulesService } from '../modules';
import { SegmentsService } from '../segments';
import { ReferralEntry } from './entities/referral-entry.entity';
import { type Referral } from './entities/referral.entity';
import { findActiveReferral } from './find-active-referral';

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
    const contact = await this.contacts.get(input.botId, input.contactId, tx);
    if (!contact) throw new Error(`contact ${input.contactId} of bot ${input.botId} not found`);
    const isNewContact = contact.firstSeenAt.getTime() >= input.occurredAt.getTime();
    const entry = await tx.save(
      tx.create(ReferralEntry, {
        botId: input.botId,
        referralId: referral?.id ?? null,
        rawRef: input.ref?.slice(0, 2100) ?? null,
        source: input.source?.slice(0, 100) ?? null,
        channel: input.channel,
        contactId: input.contactId,
        conversationId: input.conversationId,
        isNewContact,
        adId: input.adId?.slice(0, 100) ?? null,
        adsContext: input.adsContext ?? null,
        refererUri: input.refererUri ?? null,
        occurredAt: input.occurredAt,
      }),
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

  private async answerOf(referral: Referral, tx: EntityManager): Promise<ModuleAnswer | null> {
    if (referral.answerType === 'message')
      return referral.content ? { content: referral.content } : null;
    return referral.moduleId ? this.modules.enter(referral.botId, referral.moduleId, tx) : null;
  }

  private async welcome(botId: string, tx: EntityManager): Promise<ModuleAnswer> {
    const settings = await this.bots.getAnswerSettings(botId, tx);
    return { content: settings?.welcome ?? null };
  }
}
