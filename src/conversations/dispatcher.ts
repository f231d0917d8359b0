import { Injectable } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { BotsService } from '../bots';
import { CreatorService } from '../creator';
import { type ModuleAnswer, ModulesService } from '../modules';
import { type AnsweredEntry, ReferralsService, type ResolveInput } from '../referrals';
import { type InboundEvent } from './inbound-event';

export interface Decision {
  /** What to answer with; null to stay silent. */
  answer: ModuleAnswer | null;
  /** The referral the event came through, when it matched one. */
  referral: { id: string; trackingParam: string } | null;
  /** The referral entry the event recorded, when it came through a known referral. */
  entry?: AnsweredEntry;
}

const SILENT: Decision = { answer: null, referral: null };

function resolveInput(event: InboundEvent, conversationId: string): ResolveInput {
  const referral = event.referral;
  return {
    botId: event.botId,
    contactId: event.contactId,
    conversationId,
    channel: event.channel,
    ref: referral?.ref ?? null,
    source: referral?.source ?? null,
    adId: referral?.adId,
    adsContext: referral?.adsContext,
    refererUri: referral?.refererUri,
    occurredAt: event.occurredAt,
    contactFirstSeenAt: event.contact.firstSeenAt,
  };
}

/** Decides what inbound events are answered with. */
@Injectable()
export class Dispatcher {
  constructor(
    private readonly bots: BotsService,
    private readonly referrals: ReferralsService,
    private readonly modules: ModulesService,
    private readonly creator: CreatorService,
  ) {}

  /**
   * One decision per event, in order. Referrals of all the events are resolved together (their
   * entries and memberships in one statement each); lookups are shared within the transaction.
   */
  async decideMany(
    events: InboundEvent[],
    conversationIds: string[],
    tx: EntityManager,
  ): Promise<Decision[]> {
    const referred = events.flatMap((event, index) => (event.kind === 'referral' ? [index] : []));
    const resolutions = await this.referrals.resolveMany(
      referred.map((index) => resolveInput(events[index], conversationIds[index])),
      tx,
    );
    const decisions = new Map<number, Decision>(
      referred.map((index, k) => [
        index,
        {
          answer: resolutions[k].answer,
          referral: resolutions[k].referral,
          ...(resolutions[k].answered && { entry: resolutions[k].answered }),
        },
      ]),
    );
    // One after another: the lookups share the transaction's connection.
    const all: Decision[] = [];
    for (const [index, event] of events.entries()) {
      all.push(decisions.get(index) ?? (await this.decideWithoutReferral(event, tx)));
    }
    return all;
  }

  private async decideWithoutReferral(event: InboundEvent, tx: EntityManager): Promise<Decision> {
    switch (event.kind) {
      case 'postback':
      case 'quickReply': {
        const moduleId = this.creator.parseModulePayload(event.payload);
        if (moduleId) {
          const answer = await this.modules.enter(event.botId, moduleId, tx);
          // A button whose module was deleted since gets the welcome rather than silence.
          return { answer: answer ?? (await this.welcome(event.botId, tx)), referral: null };
        }
        // Any other postback is the Get Started button (or a stale payload): the welcome.
        if (event.kind === 'postback')
          return { answer: await this.welcome(event.botId, tx), referral: null };
        return this.fallback(event.botId, tx);
      }
      case 'text':
      case 'attachment':
        return this.fallback(event.botId, tx);
      case 'referral':
      case 'threadControl':
      case 'delivered':
      case 'read':
      case 'other':
        return SILENT;
    }
  }

  private async welcome(botId: string, tx: EntityManager): Promise<ModuleAnswer | null> {
    const settings = await this.bots.getAnswerSettings(botId, tx);
    return settings ? { content: settings.welcome } : null;
  }

  /** Ordinary messages: the bot's fallback module when it has one, else logged and not answered. */
  private async fallback(botId: string, tx: EntityManager): Promise<Decision> {
    const settings = await this.bots.getAnswerSettings(botId, tx);
    if (!settings?.fallbackModuleId) return SILENT;
    return {
      answer: await this.modules.enter(botId, settings.fallbackModuleId, tx),
      referral: null,
    };
  }
}
