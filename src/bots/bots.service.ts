import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { Repository } from 'typeorm';
import { SecretCipher } from '../common/crypto/secret-cipher';
import { isUniqueViolation } from '../common/errors';
import { decodeCursor, type Page, type PageQueryDto, toPage } from '../common/pagination';
import { BotErrors } from './bots.errors';
import { type BotDto } from './dto/bot.dto';
import { type ConnectMessengerDto } from './dto/connect-messenger.dto';
import { type CreateBotDto } from './dto/create-bot.dto';
import { type UpdateBotDto } from './dto/update-bot.dto';
import { Bot } from './entities/bot.entity';
import { MessengerConnection } from './entities/messenger-connection.entity';

/** What other modules learn about a bot's Messenger page; the token only for those that send. */
export interface MessengerPage {
  botId: string;
  pageId: string;
  pageUsername: string | null;
}

function toDto(bot: Bot): BotDto {
  const messenger = bot.messenger;
  return {
    id: bot.id,
    name: bot.name,
    channels: {
      messenger: messenger
        ? {
            pageId: messenger.pageId,
            pageUsername: messenger.pageUsername,
            connectedAt: messenger.connectedAt,
          }
        : null,
      widget: { widgetKey: bot.widgetKey },
    },
    createdAt: bot.createdAt,
    updatedAt: bot.updatedAt,
  };
}

@Injectable()
export class BotsService {
  constructor(
    @InjectRepository(Bot) private readonly bots: Repository<Bot>,
    @InjectRepository(MessengerConnection)
    private readonly connections: Repository<MessengerConnection>,
    private readonly cipher: SecretCipher,
  ) {}

  async create(dto: CreateBotDto): Promise<BotDto> {
    const bot = await this.bots.save(
      this.bots.create({
        name: dto.name,
        widgetKey: `wk_${randomBytes(18).toString('base64url')}`,
      }),
    );
    return toDto({ ...bot, messenger: null });
  }

  async list(query: PageQueryDto): Promise<Page<BotDto>> {
    const cursor = decodeCursor(query.cursor);
    const builder = this.bots
      .createQueryBuilder('bot')
      .leftJoinAndSelect('bot.messenger', 'messenger')
      .orderBy('bot.createdAt', 'DESC')
      .addOrderBy('bot.id', 'DESC')
      .take(query.limit + 1);
    if (cursor) {
      builder.where('(bot.createdAt, bot.id) < (:createdAt, :id)', cursor);
    }
    return toPage(await builder.getMany(), query.limit, toDto);
  }

  async get(botId: string): Promise<BotDto> {
    return toDto(await this.load(botId));
  }

  async update(botId: string, dto: UpdateBotDto): Promise<BotDto> {
    const bot = await this.load(botId);
    if (dto.name !== undefined) bot.name = dto.name;
    await this.bots.save(bot);
    return toDto(bot);
  }

  async remove(botId: string): Promise<void> {
    const result = await this.bots.delete({ id: botId });
    if (!result.affected) throw BotErrors.notFound();
  }

  async connectMessenger(botId: string, dto: ConnectMessengerDto): Promise<BotDto> {
    await this.load(botId);
    try {
      await this.connections
        .createQueryBuilder()
        .insert()
        .values({
          botId,
          pageId: dto.pageId,
          pageUsername: dto.pageUsername ?? null,
          accessTokenEncrypted: this.cipher.encrypt(dto.pageAccessToken),
        })
        .orUpdate(['page_id', 'page_username', 'access_token_encrypted', 'updated_at'], ['bot_id'])
        .execute();
    } catch (error) {
      if (isUniqueViolation(error, 'uq_bot_messenger_connections_page')) {
        throw BotErrors.pageAlreadyConnected(dto.pageId);
      }
      throw error;
    }
    return this.get(botId);
  }

  async disconnectMessenger(botId: string): Promise<void> {
    await this.load(botId);
    const result = await this.connections.delete({ botId });
    if (!result.affected) throw BotErrors.messengerNotConnected();
  }

  /** Throws BOT_NOT_FOUND unless the bot exists. */
  async assertExists(botId: string): Promise<void> {
    if (!(await this.bots.exists({ where: { id: botId } }))) throw BotErrors.notFound();
  }

  async findMessengerPage(botId: string): Promise<MessengerPage | null> {
    const connection = await this.connections.findOne({ where: { botId } });
    return connection
      ? { botId, pageId: connection.pageId, pageUsername: connection.pageUsername }
      : null;
  }

  async findMessengerPageByPageId(pageId: string): Promise<MessengerPage | null> {
    const connection = await this.connections.findOne({ where: { pageId } });
    return connection
      ? { botId: connection.botId, pageId, pageUsername: connection.pageUsername }
      : null;
  }

  /** The decrypted page access token, for the Messenger sender only. */
  async getMessengerAccessToken(botId: string): Promise<string | null> {
    const connection = await this.connections.findOne({ where: { botId } });
    return connection ? this.cipher.decrypt(connection.accessTokenEncrypted) : null;
  }

  private async load(botId: string): Promise<Bot> {
    const bot = await this.bots.findOne({ where: { id: botId }, relations: { messenger: true } });
    if (!bot) throw BotErrors.notFound();
    return bot;
  }
}
