import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { BotsService } from '../bots';
import { type Channel, ContactsService } from '../contacts';
import { type ModuleAnswer, ModulesService } from '../modules';
import {
  type ActiveReferral,
  type EntryRow,
  findActiveReferrals,
  insertEntries,
} from './referrals.repository';
import { EntryIds } from './entry-ids';
import { type AnsweredEntry } from './stats/answers.repository';
import { type EntryFact, FunnelRecorder } from './stats/funnel-recorder';

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
  /**
   * The entry as its answer keeps it (`recordAnswersCte`), when it came through a known referral;
   * null otherwise: an unknown ref's answer is in no referral's funnel.
   */
  answered: AnsweredEntry | null;
  isNewContact: boolean;
  /** The referral's answer, or the bot's welcome when no referral applies. */
  answer: ModuleAnswer;
}

function adTitle(adsContext: Record<string, unknown> | null | undefined): string | null {
  const title = adsContext?.ad_title;
  return typeof title === 'string' ? title.slice(0, 1000) : null;
}

/**
 * Records entries and segment memberships, and finds the answers, inside the caller's transaction:
 * one statement for all the entries and their memberships, however many resolve at once.
 */
@Injectable()
export class ReferralResolution {
  constructor(
    private readonly bots: BotsService,
    private readonly contacts: ContactsService,
    private readonly modules: ModulesService,
    private readonly funnel: FunnelRecorder,
    private readonly entryIds: EntryIds,
  ) {}

  async resolve(input: ResolveInput, tx: EntityManager): Promise<Resolution> {
    const [resolution] = await this.resolveMany([input], tx);
    return resolution;
  }

  /** `resolve` for many inputs; results in the order given. */
  async resolveMany(inputs: ResolveInput[], tx: EntityManager): Promise<Resolution[]> {
    if (inputs.length === 0) return [];
    const referrals = await this.activeReferrals(inputs, tx);
    // One after another: the queries share the transaction's connection.
    const firstSeen: Date[] = [];
    for (const input of inputs) {
      firstSeen.push(input.contactFirstSeenAt ?? (await this.firstSeenAt(input, tx)));
    }
    const isNew = inputs.map(
      (input, index) => firstSeen[index].getTime() >= input.occurredAt.getTime(),
    );
    const facts: EntryFact[] = inputs.map((input, index) => ({
      botId: input.botId,
      referralId: referrals[index]?.id ?? null,
      contactId: input.contactId,
      occurredAt: input.occurredAt,
      source: input.source,
      channel: input.channel,
      adId: input.adId ?? null,
      adTitle: adTitle(input.adsContext),
      isNewContact: isNew[index],
    }));
    const joining = inputs.flatMap((input, index) => {
      const referral = referrals[index];
      return referral
        ? [
            {
              botId: input.botId,
              segmentId: referral.segmentId,
              contactId: input.contactId,
              joinedAt: input.occurredAt,
              referralId: referral.id,
              trackingParam: referral.trackingParam,
            },
          ]
        : [];
    });
    // The entries with their funnel pairs, ads, counts and segment memberships in one statement,
    // their ids taken ahead: it travels with the transaction's next statement.
    const entryIds = await this.entryIds.take(inputs.length, tx);
    const rows = entryRows(inputs, referrals, isNew, entryIds);
    await insertEntries(
      tx,
      rows,
      { pairs: this.funnel.contactPairsOf(facts), ads: this.funnel.adTitlesOf(facts) },
      joining,
    );
    const resolutions: Resolution[] = [];
    for (const [index, input] of inputs.entries()) {
      const referral = referrals[index];
      resolutions.push({
        referral: referral ? { id: referral.id, trackingParam: referral.trackingParam } : null,
        answered: answeredOf(rows[index]),
        isNewContact: isNew[index],
        answer:
          (referral && (await this.answerOf(referral, tx))) ??
          (await this.welcome(input.botId, tx)),
      });
    }
    return resolutions;
  }

  /** Each input's active referral (null without a ref): one statement for all, if any. */
  private async activeReferrals(
    inputs: ResolveInput[],
    tx: EntityManager,
  ): Promise<(ActiveReferral | null)[]> {
    const referred = inputs.flatMap((input) =>
      input.ref ? [{ botId: input.botId, trackingParam: input.ref }] : [],
    );
    const found = referred.length > 0 ? await findActiveReferrals(tx, referred) : [];
    let next = 0;
    return inputs.map((input) => (input.ref ? found[next++] : null));
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

/** The entries' rows (`ids`, in the order given), as they are stored. */
function entryRows(
  inputs: ResolveInput[],
  referrals: (ActiveReferral | null)[],
  isNew: boolean[],
  ids: string[],
): EntryRow[] {
  return inputs.map((input, index) => ({
    id: ids[index],
    botId: input.botId,
    referralId: referrals[index]?.id ?? null,
    rawRef: input.ref?.slice(0, 2100) ?? null,
    source: input.source?.slice(0, 100) ?? null,
    channel: input.channel,
    contactId: input.contactId,
    conversationId: input.conversationId,
    isNewContact: isNew[index],
    adId: input.adId?.slice(0, 100) ?? null,
    adsContext: input.adsContext ?? null,
    refererUri: input.refererUri ?? null,
    occurredAt: input.occurredAt,
  }));
}

/** A stored entry as its answer keeps it; null for an entry of no known referral. */
function answeredOf(row: EntryRow): AnsweredEntry | null {
  if (row.referralId === null) return null;
  return {
    entryId: row.id,
    enteredAt: row.occurredAt,
    botId: row.botId,
    referralId: row.referralId,
    contactId: row.contactId,
    source: row.source,
    channel: row.channel,
    adId: row.adId,
  };
}
