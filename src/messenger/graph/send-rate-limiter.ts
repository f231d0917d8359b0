import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppConfig } from '../../config';
import { InjectRedis } from '../../queues';

const MAX_WAIT_MS = 5_000;

/**
 * Meta allows about 300 sends per second per page. The budget lives in Redis, so every worker
 * process of the deployment shares it; a send over budget waits for the next window.
 */
@Injectable()
export class SendRateLimiter {
  private readonly limiter: RateLimiterRedis;

  constructor(@InjectRedis() redis: Redis, config: AppConfig) {
    this.limiter = new RateLimiterRedis({
      storeClient: redis,
      keyPrefix: `${config.queuePrefix}:send-rate`,
      points: config.messenger.sendRatePerSecond,
      duration: 1,
    });
  }

  /** Resolves once a send for `pageId` fits the budget; rejects when Redis cannot tell. */
  async acquire(pageId: string): Promise<void> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      try {
        await this.limiter.consume(pageId);
        return;
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        if (Date.now() > deadline)
          throw new Error(`send budget of page ${pageId} exhausted for ${MAX_WAIT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, Math.max(rejection.msBeforeNext, 5)));
      }
    }
  }
}
