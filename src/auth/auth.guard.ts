import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { createHash, timingSafeEqual } from 'node:crypto';
import { BotErrors } from '../bots';
import { AppConfig } from '../config';
import { ApiKeysService } from './api-keys.service';
import { ADMIN_ONLY, IS_PUBLIC } from '../common/http/access.decorators';
import { AuthErrors } from './auth.errors';
import { ADMIN, type Principal } from './principal';

export type AuthenticatedRequest = FastifyRequest & { principal?: Principal };

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Every route needs a bearer token unless marked @Public(). A bot key may only reach routes of its
 * own bot: any other bot answers exactly as a bot that does not exist.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly adminDigest: Buffer;

  constructor(
    private readonly reflector: Reflector,
    private readonly apiKeys: ApiKeysService,
    config: AppConfig,
  ) {
    this.adminDigest = digest(config.adminToken);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;

    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = bearerToken(request.headers.authorization);
    if (!token) throw AuthErrors.missingToken();
    const principal = this.isAdminToken(token) ? ADMIN : await this.apiKeys.authenticate(token);
    if (!principal) throw AuthErrors.invalidToken();
    request.principal = principal;

    if (principal.kind === 'botKey') {
      const botId = (request.params as Record<string, string | undefined>).botId;
      if (botId === undefined) throw AuthErrors.adminOnly();
      if (botId.toLowerCase() !== principal.botId) throw BotErrors.notFound();
      if (this.reflector.getAllAndOverride<boolean>(ADMIN_ONLY, targets))
        throw AuthErrors.adminOnly();
    }
    return true;
  }

  private isAdminToken(token: string): boolean {
    // Comparing fixed-length digests keeps the comparison constant-time whatever the token length.
    return timingSafeEqual(digest(token), this.adminDigest);
  }
}
