import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { createHash, randomBytes } from 'node:crypto';
import { IsNull, Repository } from 'typeorm';
import { BotsService } from '../bots';
import { AuthErrors } from './auth.errors';
import { type ApiKeyDto, type CreatedApiKeyDto } from './dto/api-key.dto';
import { ApiKey } from './entities/api-key.entity';
import { type Principal } from './principal';

const KEY_PREFIX = 'bpk_';

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function toDto(key: ApiKey): ApiKeyDto {
  return {
    id: key.id,
    botId: key.botId,
    name: key.name,
    prefix: key.prefix,
    createdAt: key.createdAt,
    lastUsedAt: key.lastUsedAt,
    revokedAt: key.revokedAt,
  };
}

@Injectable()
export class ApiKeysService {
  private readonly logger = new Logger(ApiKeysService.name);

  constructor(
    @InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>,
    private readonly bots: BotsService,
  ) {}

  async create(botId: string, name: string): Promise<CreatedApiKeyDto> {
    await this.bots.assertExists(botId);
    // 32 random bytes: a hash lookup is then as safe as a slow password hash, and far cheaper per request.
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const saved = await this.keys.save(
      this.keys.create({
        botId,
        name,
        prefix: key.slice(0, 12),
        keyHash: hashKey(key),
        lastUsedAt: null,
        revokedAt: null,
      }),
    );
    return { ...toDto(saved), key };
  }

  async list(botId: string): Promise<ApiKeyDto[]> {
    await this.bots.assertExists(botId);
    const keys = await this.keys.find({
      where: { botId },
      order: { createdAt: 'DESC', id: 'DESC' },
    });
    return keys.map(toDto);
  }

  async revoke(botId: string, keyId: string): Promise<void> {
    await this.bots.assertExists(botId);
    const key = await this.keys.findOne({ where: { id: keyId, botId } });
    if (!key) throw AuthErrors.apiKeyNotFound();
    if (!key.revokedAt)
      await this.keys.update({ id: keyId, revokedAt: IsNull() }, { revokedAt: new Date() });
  }

  /** The principal of a live key, or null for an unknown or revoked one. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!token.startsWith(KEY_PREFIX)) return null;
    const key = await this.keys.findOne({
      select: { id: true, botId: true, lastUsedAt: true },
      where: { keyHash: hashKey(token), revokedAt: IsNull() },
    });
    if (!key) return null;
    this.touch(key);
    return { kind: 'botKey', botId: key.botId, keyId: key.id };
  }

  /** Records use at most once a minute per key, off the request's path. */
  private touch(key: ApiKey): void {
    if (key.lastUsedAt && Date.now() - key.lastUsedAt.getTime() < 60_000) return;
    this.keys
      .update({ id: key.id }, { lastUsedAt: new Date() })
      .catch((error: Error) => this.logger.warn(`Could not record API key use: ${error.message}`));
  }
}
