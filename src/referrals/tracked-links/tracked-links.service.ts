import { Injectable, Logger } from '@nestjs/common';
import { isbot } from 'isbot';
import { isUUID } from 'class-validator';
import { BotErrors } from '../../bots';
import { AppConfig } from '../../config';
import { type ClickTarget } from '../entities/referral-click.entity';
import { TRACKING_PARAM } from '../dto/create-referral.dto';
import { referralLinks } from '../referral-links';
import { ReferralErrors } from '../referrals.errors';
import { ClickRecorder } from './click-recorder';
import { ClickerHash } from './clicker-hash';
import { LinkTargets, type TrackedReferral } from './link-targets';

/** What a tracked-link request carries that the click depends on. */
export interface ClickRequest {
  botId: string;
  trackingParam: string;
  /** `widget` asks for the widget page even when the bot has a Messenger page. */
  to: string | undefined;
  /** The client address as Fastify resolved it (X-Forwarded-For only under TRUST_PROXY). */
  ip: string;
  userAgent: string | undefined;
  /** HEAD requests are link checkers and previews, never a person following the link. */
  method: string;
}

/** Longest tracking param a referral can have; longer ones cannot name one. */
const MAX_PARAM = 100;

/**
 * Tracked links `/r/{botId}/{trackingParam}`: where a click goes, and the click recorded on the
 * way. Answers from cached lookups and buffers the click, so Postgres neither slows nor fails it.
 */
@Injectable()
export class TrackedLinksService {
  private readonly logger = new Logger(TrackedLinksService.name);
  private readonly hash: ClickerHash;

  constructor(
    private readonly config: AppConfig,
    private readonly targets: LinkTargets,
    private readonly clicks: ClickRecorder,
  ) {
    this.hash = new ClickerHash(config.clickHashKey);
  }

  /**
   * The URL to redirect to: the referral's Messenger link (`m.me/<page>?ref=`), or its widget page
   * (`/chat/<widgetKey>?ref=`) when the bot has no page or `to=widget`. An unknown or inactive
   * param still reaches the bot, without a ref. Throws 404 BOT_NOT_FOUND for an unknown bot, 503
   * only when the bot was never looked up and Postgres cannot answer.
   */
  async follow(request: ClickRequest, now = new Date()): Promise<string> {
    if (!isUUID(request.botId)) throw BotErrors.notFound();
    const targets = await this.targets.targetsOf(request.botId).catch((error: Error) => {
      this.logger.warn(`Tracked link of bot ${request.botId} unresolved: ${error.message}`);
      throw ReferralErrors.linkUnavailable();
    });
    if (!targets) throw BotErrors.notFound();
    const { referral, param, unresolved } = await this.referralOf(
      request.botId,
      request.trackingParam,
    );
    const links = referralLinks(targets, param ?? '', this.config.publicBaseUrl);
    const target: ClickTarget = links.messenger && request.to !== 'widget' ? 'messenger' : 'widget';
    const userAgent = request.userAgent ?? '';
    this.clicks.record({
      botId: request.botId,
      referralId: referral?.id ?? null,
      unresolved,
      trackingParam: request.trackingParam.replaceAll('\0', '').slice(0, MAX_PARAM),
      clickedAt: now,
      clicker: this.hash.of(request.ip, userAgent, now),
      // No User-Agent at all is a script, not a browser.
      isBot: request.method === 'HEAD' || userAgent === '' || isbot(userAgent),
      target,
    });
    const url = target === 'messenger' ? links.messenger! : links.widget;
    // Without a param to carry, the link is the bare page: no empty `ref=`.
    return param === null ? url.replace(/\?ref=$/, '') : url;
  }

  /**
   * The referral and the param to carry on. A param that cannot name a referral (too long, other
   * characters) is unknown without asking Postgres; when Postgres cannot say, the param goes on as given, so
   * the bot still resolves it at entry, and the click is marked `unresolved` for its batch writer.
   */
  private async referralOf(
    botId: string,
    trackingParam: string,
  ): Promise<{ referral: TrackedReferral | null; param: string | null; unresolved?: true }> {
    if (!TRACKING_PARAM.test(trackingParam)) return { referral: null, param: null };
    try {
      const referral = await this.targets.referralOf(botId, trackingParam);
      return { referral, param: referral?.trackingParam ?? null };
    } catch (error) {
      this.logger.warn(`Tracked param of bot ${botId} unresolved: ${(error as Error).message}`);
      return { referral: null, param: trackingParam, unresolved: true };
    }
  }
}
