import { type EntityManager } from 'typeorm';
import { type CreatedCursor } from '../common/pagination';
import { prepared } from '../database';
import { ModuleInstance } from './entities/module-instance.entity';
import { type ModuleInstanceView } from './module-type';

/** Up to `take` of the bot's module instances after `cursor`, newest first, of `type` if given. */
export function pageOfInstances(
  manager: EntityManager,
  botId: string,
  type: string | undefined,
  cursor: CreatedCursor | undefined,
  take: number,
): Promise<ModuleInstance[]> {
  const builder = manager
    .createQueryBuilder(ModuleInstance, 'm')
    .where('m.botId = :botId', { botId })
    .orderBy('m.createdAt', 'DESC')
    .addOrderBy('m.id', 'DESC')
    .take(take);
  if (type) builder.andWhere('m.type = :type', { type });
  if (cursor) builder.andWhere('(m.createdAt, m.id) < (:createdAt, :id)', cursor);
  return builder.getMany();
}

/**
 * The ids among `ids` that are the bot's instances, locked FOR KEY SHARE until the transaction
 * ends: a delete (FOR UPDATE) of one of them waits for it.
 */
export async function lockInstances(
  tx: EntityManager,
  botId: string,
  ids: string[],
): Promise<Set<string>> {
  const rows = await tx.query<{ id: string }[]>(
    'SELECT id FROM module_instances WHERE bot_id = $1 AND id = ANY($2::uuid[]) FOR KEY SHARE',
    [botId, ids],
  );
  return new Set(rows.map((row) => row.id));
}

/** The bot's instance as a module type enters it (named and prepared: on referral entries), or null. */
export async function instanceView(
  manager: EntityManager,
  botId: string,
  moduleId: string,
): Promise<ModuleInstanceView | null> {
  const [row] = await prepared<ModuleInstanceView[]>(
    manager,
    'module_instance_get',
    'SELECT id, bot_id AS "botId", name, type, config FROM module_instances WHERE id = $1 AND bot_id = $2',
    [moduleId, botId],
  );
  return row ?? null;
}

/** The bot's other instances whose config links to `moduleId`. */
export function instancesLinkingTo(
  tx: EntityManager,
  botId: string,
  moduleId: string,
): Promise<{ id: string; name: string }[]> {
  return tx.query(
    `SELECT id, name FROM module_instances
      WHERE bot_id = $1 AND id <> $2
        AND jsonb_path_exists(config, 'strict $.**.moduleId ? (@ == $id)', jsonb_build_object('id', $2::text))`,
    [botId, moduleId],
  );
}
