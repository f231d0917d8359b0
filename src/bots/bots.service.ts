import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { randomBytes } from 'node:crypto';
import { DataSource, type EntityManager, Repository } from 'typeorm';
import { SecretCipher } from '../common/crypto/secret-cipher';
import { findPlugIns } from '../common/plug-ins';
import { isUniqueViolation } from '../common/errors';
import { memoInTransaction } from '../database';
import { type Content } from '../creator';
import { decodeCursor, type Page, type PageQueryDto, toPage } from '../common/pagination';
import { BotErrors } from './bots.errors';
import {
  answerSettingsOf,
  botOfWidgetKey,
  moduleUseOfBot,
  pageOfBots,
  upsertMessengerConnection,
} from './bots.repository';
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
  /** The page's default `target_app_id` for Handover Protocol passes; null / absent: the server's. */
  handoverAppId?: string | null;
}

/** What the website widget learns about a bot from its public key. */
export interface WidgetBot {
  botId: string;
  allowedOrigins: string[];
}

const WIDGET_KEY_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

function newWidgetKey(): string {
  return `wk_${randomBytes(18).toString('base64url')}`;
}

export interface BotLinkTargets {
  botId: string;
  widgetKey: string;
  messenger: MessengerPage | null;
}

/** What a bot answers with when no referral applies. */
export interface BotAnswerSettings {
  welcome?: Content;
  fallbackModuleId?: string | null;
}

/**
 * Marks the provider that checks settings pointing at things a higher module owns (module
 * instances): `@AnswerSettingsCheck()` on a class implementing `AnswerSettingsCheck` (ModulesService).
 * BotsService finds it at start-up, so dependencies keep pointing down.
 */
export const AnswerSettingsCheck = DiscoveryService.createDecorator<void>();

/** Throws an AppError when `settings` point at what bot `botId` may not use; reads in `tx`. */
export interface AnswerSettingsCheck {
  checkAnswerSettings(botId: string, settings: BotAnswerSettings, tx: EntityManager): Promise<void>;
}

export interface ModuleUsageOfBot {
  kind: 'botWelcome' | 'botFallback';
  id: string;
  name: string;
}

export const DEFAULT_WELCOME: Content = {
  messages: [{ type: 'text', text: 'Hi {{contact.firstName|there}}! How can we help you today?' }],
};

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
            handoverAppId: messenger.handoverAppId,
            connectedAt: messenger.connectedAt,
          }
        : null,
      widget: { widgetKey: bot.widgetKey, allowedOrigins: bot.widgetAllowedOrigins },
    },
    welcome: bot.welcome,
    fallbackModuleId: bot.fallbackModuleId,
    createdAt: bot.createdAt,
    updatedAt: bot.updatedAt,
  };
}

@Injectable()
export class BotsService implements OnModuleInit {
  private answerSettingsCheck: AnswerSettingsCheck | undefined;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Bot) private readonly bots: Repository<Bot>,
    @InjectRepository(MessengerConnection)
    private readonly connections: Repository<MessengerConnection>,
    private readonly cipher: SecretCipher,
    private readonly discovery: DiscoveryService,
  ) {}

  async create(dto: CreateBotDto): Promise<BotDto> {
    const bot = await this.bots.save(
      this.bots.create({
        name: dto.name,
        widgetKey: newWidgetKey(),
        widgetAllowedOrigins: [],
        welcome: DEFAULT_WELCOME,
        fallbackModuleId: null,
      }),
    );
    return toDto({ ...bot, messenger: null });
  }

  async list(query: PageQueryDto): Promise<Page<BotDto>> {
    const cursor = decodeCursor(query.cursor, 'uuid');
    const rows = await pageOfBots(this.bots, cursor, query.limit + 1);
    return toPage(rows, query.limit, toDto);
  }

  async get(botId: string, tx?: EntityManager): Promise<BotDto> {
    return toDto(await this.load(botId, tx));
  }

  async update(botId: string, dto: UpdateBotDto): Promise<BotDto> {
    return this.dataSource.transaction(async (tx) => {
      const bot = await tx.findOne(Bot, {
        where: { id: botId },
        lock: { mode: 'pessimistic_write' },
      });
      if (!bot) throw BotErrors.notFound();
      const settings: BotAnswerSettings = {
        welcome: dto.welcome,
        fallbackModuleId: dto.fallbackModuleId,
      };
      if (settings.welcome !== undefined || settings.fallbackModuleId) {
        if (!this.answerSettingsCheck) throw new Error('No answer settings check registered');
        await this.answerSettingsCheck.checkAnswerSettings(botId, settings, tx);
      }
      if (dto.name !== undefined) bot.name = dto.name;
      if (dto.welcome !== undefined) bot.welcome = dto.welcome;
      if (dto.fallbackModuleId !== undefined) bot.fallbackModuleId = dto.fallbackModuleId;
      if (dto.widget !== undefined)
        bot.widgetAllowedOrigins = [...new Set(dto.widget.allowedOrigins)];
      await tx.save(bot);
      return this.get(botId, tx);
    });
  }

  async remove(botId: string): Promise<void> {
    const result = await this.bots.delete({ id: botId });
    if (!result.affected) throw BotErrors.notFound();
  }

  async connectMessenger(botId: string, dto: ConnectMessengerDto): Promise<BotDto> {
    await this.load(botId);
    try {
      await upsertMessengerConnection(this.dataSource.manager, {
        botId,
        pageId: dto.pageId,
        pageUsername: dto.pageUsername ?? null,
        tokenEncrypted: this.cipher.encrypt(dto.pageAccessToken),
        handoverAppId: dto.handoverAppId ?? null,
      });
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

  onModuleInit(): void {
    const checks = findPlugIns<void, AnswerSettingsCheck>(this.discovery, AnswerSettingsCheck);
    if (checks.length > 1) throw new Error('More than one answer settings check');
    this.answerSettingsCheck = checks[0]?.instance;
  }

  /** The welcome and fallback module; in a transaction, read once and reused (the inbound path). */
  async getAnswerSettings(
    botId: string,
    tx?: EntityManager,
  ): Promise<Required<BotAnswerSettings> | null> {
    const manager = tx ?? this.dataSource.manager;
    return memoInTransaction(manager, `bot-answer-settings:${botId}`, async () => {
      return answerSettingsOf(manager, botId);
    });
  }

  /** Where the bot's own settings use a module instance (for MODULE_IN_USE). */
  async moduleUsages(
    botId: string,
    moduleId: string,
    tx: EntityManager,
  ): Promise<ModuleUsageOfBot[]> {
    const bot = await moduleUseOfBot(tx, botId, moduleId);
    if (!bot) return [];
    const usages: ModuleUsageOfBot[] = [];
    if (bot.welcome) usages.push({ kind: 'botWelcome', id: botId, name: bot.name });
    if (bot.fallback) usages.push({ kind: 'botFallback', id: botId, name: bot.name });
    return usages;
  }

  /** Throws BOT_NOT_FOUND unless the bot exists. */
  async assertExists(botId: string): Promise<void> {
    if (!(await this.bots.exists({ where: { id: botId } }))) throw BotErrors.notFound();
  }

  /** What links into the bot are built from: its widget key and its Messenger page, if any. */
  async getLinkTargets(botId: string): Promise<BotLinkTargets> {
    const bot = await this.load(botId);
    const page = bot.messenger;
    return {
      botId,
      widgetKey: bot.widgetKey,
      messenger: page
        ? {
            botId,
            pageId: page.pageId,
            pageUsername: page.pageUsername,
            handoverAppId: page.handoverAppId,
          }
        : null,
    };
  }

  async findMessengerPage(botId: string): Promise<MessengerPage | null> {
    const connection = await this.connections.findOne({ where: { botId } });
    return connection
      ? {
          botId,
          pageId: connection.pageId,
          pageUsername: connection.pageUsername,
          handoverAppId: connection.handoverAppId,
        }
      : null;
  }

  async findMessengerPageByPageId(pageId: string): Promise<MessengerPage | null> {
    const connection = await this.connections.findOne({ where: { pageId } });
    return connection
      ? {
          botId: connection.botId,
          pageId,
          pageUsername: connection.pageUsername,
          handoverAppId: connection.handoverAppId,
        }
      : null;
  }

  /** The bot a widget key belongs to, or null (an unknown or rotated key). */
  async findByWidgetKey(widgetKey: string): Promise<WidgetBot | null> {
    // Keys are `wk_` and base64url: anything else (a NUL Postgres would refuse, a long string) is
    // no key, without asking the database.
    if (!WIDGET_KEY_SHAPE.test(widgetKey)) return null;
    return botOfWidgetKey(this.dataSource.manager, widgetKey);
  }

  /** Replaces a leaked widget key: the old one stops working at once (its pages answer 404). */
  async rotateWidgetKey(botId: string): Promise<BotDto> {
    const result = await this.bots.update({ id: botId }, { widgetKey: newWidgetKey() });
    if (!result.affected) throw BotErrors.notFound();
    return this.get(botId);
  }

  /** The decrypted page access token, for the Messenger sender only. */
  async getMessengerAccessToken(botId: string): Promise<string | null> {
    const connection = await this.connections.findOne({ where: { botId } });
    return connection ? this.cipher.decrypt(connection.accessTokenEncrypted) : null;
  }

  private async load(botId: string, tx?: EntityManager): Promise<Bot> {
    const bot = await (tx ?? this.dataSource.manager).findOne(Bot, {
      where: { id: botId },
      relations: { messenger: true },
    });
    if (!bot) throw BotErrors.notFound();
    return bot;
  }
}
