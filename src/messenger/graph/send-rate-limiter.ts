import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../../config';
import { InjectRedis } from '../../queues';

const MAX_WAIT_MS = 5_000;
/** Send slots taken from Redis in one round trip, then handed out in this process. */
const SLOTS_PER_RESERVATION = 10;

interface Reserve {
  left: number;
  /** The end of the Redis window the slots were counted in, or a little before it. */
  until: number;
}

/**
 * Meta allows about 300 sends per second per page. The budget lives in Redis, so every worker
 * process of the deployment shares it; a send over budget waits for the next window. Slots are
 * reserved a few at a time, so a busy page costs one Redis round trip per ten sends, not per send.
 */
@Injectable()
export class SendRateLimiter {
  private readonly limiter: RateLimiterRedis;
  private readonly perReservation: number;
  private readonly reserves = new Map<string, Reserve>();
  /** The reservation in flight per page: concurrent sends wait for it instead of each asking. */
  private readonly reserving = new Map<string, Promise<number>>();

  constructor(@InjectRedis() redis: Redis, config: AppConfig) {
    const perSecond = config.messenger.sendRatePerSecond;
    this.perReservation = Math.max(1, Math.min(SLOTS_PER_RESERVATION, Math.floor(perSecond / 10)));
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.queuePrefix}:send-rate`,
      points: perSecond,
      duration: 1,
    });
  }

  /**
   * Resolves once a send for `pageId` fits the budget, with the time (epoch ms) by which the send
   * still counts in the window that granted it; rejects when Redis cannot tell.
   */
  async acquire(pageId: string): Promise<number> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
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
    const sentAt = Date.now();
    let result: RateLimiterRes;
    let fitted = asked;
    try {
      result = await this.limiter.consume(pageId, asked);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      result = rejection;
      fitted = Math.max(0, asked - (rejection.consumedPoints - this.limiter.points));
    }
    this.reserves.set(pageId, { left: fitted, until: sentAt + result.msBeforeNext });
    return fitted > 0 ? 0 : Math.max(result.msBeforeNext, 5);
  }
}
