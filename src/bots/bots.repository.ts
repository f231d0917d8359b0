import { type EntityManager, type Repository } from 'typeorm';
import { type CreatedCursor } from '../common/pagination';
import { prepared } from '../database';
import { type Bot } from './entities/bot.entity';

/**
 * The bot rules that live in SQL, each a named SQL expression used below (tested through the API
 * in test/foundation/bots.e2e-spec.ts).
 */
export const BotRules = {
  /** A bot's Messenger connection dates from its current page: a new page restarts it, a new token does not. */
  connectedSinceCurrentPage: (current: string, incoming: string, connectedAt: string): string =>
    `CASE WHEN ${current}.page_id = ${incoming}.page_id THEN ${connectedAt} ELSE now() END`,
} as const;

/** Up to `take` bots after `cursor`, newest first, each with its Messenger connection. */
export function pageOfBots(
  bots: Repository<Bot>,
  cursor: CreatedCursor | undefined,
  take: number,
): Promise<Bot[]> {
  const builder = bots
    .createQueryBuilder('bot')
    .leftJoinAndSelect('bot.messenger', 'messenger')
    .orderBy('bot.createdAt', 'DESC')
    .addOrderBy('bot.id', 'DESC')
    .take(take);
  if (cursor) builder.where('(bot.createdAt, bot.id) < (:createdAt, :id)', cursor);
  return builder.getMany();
}

/**
 * Connects the bot to a page or replaces its connection (token encrypted by the caller), following
 * `BotRules.connectedSinceCurrentPage`. A page connected to another bot fails on
 * `uq_bot_messenger_connections_page` (the caller answers 409).
 */
export async function upsertMessengerConnection(
  manager: EntityManager,
  c: {
    botId: string;
    pageId: string;
    pageUsername: string | null;
    tokenEncrypted: string;
    handoverAppId: string | null;
  },
): Promise<void> {
  await manager.query(
    `INSERT INTO bot_messenger_connections (bot_id, page_id, page_username, access_token_encrypted,
                                            handover_app_id)
     VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (bot_id) DO UPDATE SET
       page_id = EXCLUDED.page_id,
       page_username = EXCLUDED.page_username,
       handover_app_id = EXCLUDED.handover_app_id,
       access_token_encrypted = EXCLUDED.access_token_encrypted,
       connected_at = ${BotRules.connectedSinceCurrentPage('bot_messenger_connections', 'EXCLUDED', 'bot_messenger_connections.connected_at')},
       updated_at = now()`,
    [c.botId, c.pageId, c.pageUsername, c.tokenEncrypted, c.handoverAppId],
  );
}

/** The bot's welcome and fallback module (named and prepared: on the inbound path), or null. */
export async function answerSettingsOf(
  manager: EntityManager,
  botId: string,
): Promise<{ welcome: Bot['welcome']; fallbackModuleId: string | null } | null> {
  const [settings] = await prepared<{ welcome: Bot['welcome']; fallbackModuleId: string | null }[]>(
    manager,
    'bot_answer_settings',
    'SELECT welcome, fallback_module_id AS "fallbackModuleId" FROM bots WHERE id = $1',
    [botId],
  );
  return settings ?? null;
}

/** Whether the bot's fallback and welcome use module `moduleId`, with the bot's name; null for no bot. */
export async function moduleUseOfBot(
  manager: EntityManager,
  botId: string,
  moduleId: string,
): Promise<{ name: string; fallback: boolean | null; welcome: boolean } | null> {
  const rows = await manager.query<{ name: string; fallback: boolean | null; welcome: boolean }[]>(
    `SELECT name, fallback_module_id = $2 AS fallback,
            jsonb_path_exists(welcome, 'strict $.**.moduleId ? (@ == $id)', jsonb_build_object('id', $2::text)) AS welcome
       FROM bots WHERE id = $1`,
    [botId, moduleId],
  );
  return rows[0] ?? null;
}

/** The bot of a widget key and its allowed origins (named and prepared: every widget call), or null. */
export async function botOfWidgetKey(
  manager: EntityManager,
  widgetKey: string,
): Promise<{ botId: string; allowedOrigins: string[] } | null> {
  const [row] = await prepared<{ botId: string; allowedOrigins: string[] }[]>(
    manager,
    'bot_by_widget_key',
    'SELECT id AS "botId", widget_allowed_origins AS "allowedOrigins" FROM bots WHERE widget_key = $1',
    [widgetKey],
  );
  return row ?? null;
}
