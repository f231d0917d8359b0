import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import type Redis from 'ioredis';
import { withTimeout } from '../common/with-timeout';
import { InjectRedis } from '../queues';

const TIMEOUT_MS = 1000;

@Injectable()
export class RedisHealthIndicator {
  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly indicators: HealthIndicatorService,
  ) {}

  async pingCheck(key: 'redis'): Promise<HealthIndicatorResult<'redis'>> {
    const check = this.indicators.check(key);
    try {
      await withTimeout(this.redis.ping(), TIMEOUT_MS, `no answer within ${TIMEOUT_MS} ms`);
      return check.up();
    } catch (error) {
      return check.down({ message: (error as Error).message });
    }
  }
}
