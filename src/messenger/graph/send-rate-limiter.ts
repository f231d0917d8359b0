import { Injectable, Logger } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../../config';
import { InjectRedis } from '../../queues';

const MAX_WAIT_MS = 5_000;
/** Send slots taken from Redis in one round trip, then handed out in this process. */
const SLOTS_PER_RESERVATION = 10;
/** A reply send marks its page busy with replies for this long (one Redis write per mark). */
const REPLY_DEMAND_TTL_MS = 1_000;
/** How long a bulk send waiting behind replies of its process waits before looking again. */
const BULK_YIELD_MS = 2;
/** How often a process re-marks (replies) or re-reads (bulk sends) a page's reply demand. */
const REPLY_DEMAND_REFRESH_MS = 200;

interface Reserve {
  left: number;
  /** The end of the Redis window the slots were counted in, or a little before it. */
  until: number;
}

/** Slots of one Redis-counted budget per page, reserved a few at a time. */
class SlotPool {
  private readonly reserves = new Map<string, Reserve>();
  /** The reservation in flight per page: concurrent sends wait for it instead of each asking. */
  private readonly reserving = new Map<string, Promise<number>>();
  private readonly perReservation: number;

  /**
   * `ceiling`: how many of a window's slots this pool may fill, counting every pool's sends in
   * it (they share the limiter); slots it took over the line are handed back at once.
   */
  constructor(
    private readonly limiter: RateLimiterRedis,
    /** Replies of this process waiting for a slot, per page (shared by the pools): bulk yields. */
    private readonly repliesWaiting: Map<string, number>,
    private readonly ceiling: (pageId: string) => Promise<number> | number = () => limiter.points,
  ) {
    this.perReservation = Math.max(
      1,
      Math.min(SLOTS_PER_RESERVATION, Math.floor(limiter.points / 10)),
    );
  }

  async acquire(pageId: string, deadline: number, priority: 'reply' | 'bulk'): Promise<number> {
    if (priority === 'bulk') return this.take(pageId, deadline, priority);
    this.repliesWaiting.set(pageId, (this.repliesWaiting.get(pageId) ?? 0) + 1);
    try {
      return await this.take(pageId, deadline, priority);
    } finally {
      const left = (this.repliesWaiting.get(pageId) ?? 1) - 1;
      if (left > 0) this.repliesWaiting.set(pageId, left);
      else this.repliesWaiting.delete(pageId);
    }
  }

  private async take(
    pageId: string,
    deadline: number,
    priority: 'reply' | 'bulk',
  ): Promise<number> {
    for (;;) {
      if (priority === 'bulk' && this.repliesWaiting.has(pageId)) {
        if (Date.now() > deadline)
          throw new Error(`send budget of page ${pageId} taken by replies for ${MAX_WAIT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, BULK_YIELD_MS));
        continue;
      }
      const reserve = this.reserves.get(pageId);
      if (reserve && reserve.left > 0 && Date.now() < reserve.until) {
        reserve.left--;
        return reserve.until;
      }
      let reserving = this.reserving.get(pageId);
      if (!reserving) {
        reserving = this.reserve(pageId).finally(() => this.reserving.delete(pageId));
        this.reserving.set(pageId, reserving);
      }
      const waitMs = await reserving;
      if (waitMs === 0) continue;
      if (Date.now() + waitMs > deadline)
        throw new Error(`send budget of page ${pageId} exhausted for ${MAX_WAIT_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }

  /**
   * Counts a few slots in the page's Redis window. Over budget, the slots that still fitted are
   * kept (Redis counted them all); returns how long to wait when none did, else 0.
   * The slots expire counting from when the request left, not when the answer was read: a process
   * that stalls in between must not spend them in the next Redis window, on top of its budget.
   */
  private async reserve(pageId: string): Promise<number> {
    const asked = this.perReservation;
    const ceiling = await this.ceiling(pageId);
    const sentAt = Date.now();
    let result: RateLimiterRes;
    try {
      result = await this.limiter.consume(pageId, asked);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      result = rejection;
    }
    const fitted = Math.max(0, asked - Math.max(0, result.consumedPoints - ceiling));
    if (ceiling < this.limiter.points && fitted < asked) {
      // Over this pool's line but maybe under the window's: give them back for the other pool.
      await this.limiter.reward(pageId, asked - fitted).catch(() => undefined);
    }
    this.reserves.set(pageId, { left: fitted, until: sentAt + result.msBeforeNext });
    return fitted > 0 ? 0 : Math.max(result.msBeforeNext, 5);
  }
}

/**
 * Meta allows about 300 sends per second per page. The budget lives in Redis, so every worker
 * process of the deployment shares it; a send over budget waits for the next window. Slots are
 * reserved a few at a time, so a busy page costs one Redis round trip per ten sends, not per send.
 *
 * Replies go first: a reply send marks its page as having reply demand (a short-lived Redis key);
 * while it is marked, bulk sends (broadcasts) take slots of a window only up to
 * MESSENGER_BULK_SEND_PERCENT of the rate, so the rest of every window stays free for replies.
 * With no reply demand, bulk sends may use the whole rate. Within a process, a bulk send never
 * takes a slot while a reply of the same page waits for one.
 */
@Injectable()
export class SendRateLimiter {
  private readonly logger = new Logger(SendRateLimiter.name);
  private readonly shared: SlotPool;
  private readonly bulk: SlotPool;
  private readonly demandPrefix: string;
  /** When this process last marked each page's reply demand. */
  private readonly demandMarked = new Map<string, number>();
  /** Each page's reply demand as last read, and when. */
  private readonly demandSeen = new Map<string, { at: number; busy: Promise<boolean> }>();

  constructor(
    @InjectRedis() private readonly redis: Redis,
    config: AppConfig,
  ) {
    const perSecond = config.messenger.sendRatePerSecond;
    const limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.queuePrefix}:send-rate`,
      points: perSecond,
      duration: 1,
    });
    const bulkCeiling = Math.max(
      1,
      Math.floor((perSecond * config.messenger.bulkSendPercent) / 100),
    );
    const repliesWaiting = new Map<string, number>();
    this.shared = new SlotPool(limiter, repliesWaiting);
    // Bulk sends count in the same Redis window as replies; while replies are being sent they
    // stop at MESSENGER_BULK_SEND_PERCENT of it, so the rest of each window is the replies'.
    this.bulk = new SlotPool(limiter, repliesWaiting, async (pageId) =>
      (await this.replyDemand(pageId)) ? bulkCeiling : perSecond,
    );
    this.demandPrefix = `${config.queuePrefix}:reply-demand:`;
  }

  /**
   * Resolves once a send for `pageId` fits the budget, with the time (epoch ms) by which the send
   * still counts in the window that granted it; rejects when Redis cannot tell. `bulk` sends yield
   * to replies (see the class).
   */
  async acquire(pageId: string, priority: 'reply' | 'bulk' = 'reply'): Promise<number> {
    const deadline = Date.now() + MAX_WAIT_MS;
    if (priority === 'bulk') return this.bulk.acquire(pageId, deadline, 'bulk');
    this.markReplyDemand(pageId);
    return this.shared.acquire(pageId, deadline, 'reply');
  }

  private markReplyDemand(pageId: string): void {
    const now = Date.now();
    if (now - (this.demandMarked.get(pageId) ?? 0) < REPLY_DEMAND_REFRESH_MS) return;
    this.demandMarked.set(pageId, now);
    this.redis
      .set(this.demandPrefix + pageId, '1', 'PX', REPLY_DEMAND_TTL_MS)
      .catch((error: Error) => this.logger.warn(`Could not mark reply demand: ${error.message}`));
  }

  /** Whether replies were sent on the page within the last second; Redis unsure: assume so. */
  private replyDemand(pageId: string): Promise<boolean> {
    const now = Date.now();
    const seen = this.demandSeen.get(pageId);
    if (seen && now - seen.at < REPLY_DEMAND_REFRESH_MS) return seen.busy;
    const busy = this.redis
      .exists(this.demandPrefix + pageId)
      .then((n) => n > 0)
      .catch(() => true);
    this.demandSeen.set(pageId, { at: now, busy });
    return busy;
  }
}
