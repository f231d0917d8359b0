import { type CanActivate, type ExecutionContext, HttpStatus, Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError } from '../common/errors';
import { AppConfig } from '../config';
import { InjectRedis } from '../queues';

export const SESSION_HEADER = 'x-widget-session';

/**
 * Rate limits of the public Chat API, counted in Redis so every API process shares them: per
 * client IP (WIDGET_RATE_PER_IP_PER_MINUTE) and, when the call names a session, per session
 * (WIDGET_RATE_PER_SESSION_PER_MINUTE). Over either: 429 WIDGET_RATE_LIMITED with Retry-After.
 * Redis away: the call goes through (the API must not fall over with its limiter).
 */
@Injectable()
export class WidgetRateGuard implements CanActivate {
  private readonly perIp: RateLimiterRedis;
  private readonly perSession: RateLimiterRedis;

  constructor(@InjectRedis() redis: Redis, config: AppConfig) {
    const limiter = (name: string, points: number): RateLimiterRedis =>
      new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${config.queuePrefix}:widget-rate:${name}`,
        points,
        duration: 60,
      });
    this.perIp = limiter('ip', config.widgetRate.perIp);
    this.perSession = limiter('session', config.widgetRate.perSession);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const http = context.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const token = request.headers[SESSION_HEADER];
    try {
      await this.perIp.consume(request.ip);
      if (typeof token === 'string' && token.length > 0)
        await this.perSession.consume(createHash('sha256').update(token).digest('hex'));
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) return true;
      const seconds = Math.max(1, Math.ceil(error.msBeforeNext / 1000));
      void http.getResponse<FastifyReply>().header('retry-after', String(seconds));
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'WIDGET_RATE_LIMITED',
        `Too many calls; try again in ${seconds} s`,
      );
    }
    return true;
  }
}
