/**
 * CHAOS_KEEP=1: what the chaos suite leaves behind when a delivery is lost or answered twice, so
 * the loss can be explained after the run instead of guessed at. Into one folder (printed at the
 * end): every process's full log (`<name>.log`, each line prefixed with the time the suite read
 * it), `evidence.json` with, per lost or duplicated PSID, its inbox items, contact, conversation,
 * replies and messages (Postgres) and the state in Redis of the jobs that carry them (`outbound`
 * by reply id, `messenger-inbound` by inbox id: hash, which lists hold it, its lock), the log lines
 * of every process that name one of those ids, Redis's own data (`dump.rdb`), and the private
 * Postgres cluster's data folder, stopped but kept (the command to start it again is printed).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Redis from 'ioredis';
import { Client } from 'pg';

/** The folder everything is kept in (created on first use), or undefined without CHAOS_KEEP. */
export function keepFolder(): string | undefined {
  if (process.env.CHAOS_KEEP !== '1') return undefined;
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const folder = process.env.CHAOS_KEEP_DIR ?? join('/tmp', `bp-chaos-keep-${stamp}`);
  mkdirSync(folder, { recursive: true });
  return folder;
}

/** Appends lines to `<folder>/<name>.log`, each with the time (ISO, UTC) it was read. */
export function logWriter(folder: string, name: string): (lines: string[]) => void {
  const file = join(folder, `${name}.log`);
  return (lines) => {
    const at = new Date().toISOString();
    appendFileSync(file, lines.map((line) => `${at} ${line}\n`).join(''));
  };
}

/** Bull's places a job can be in; the hash and the lock are looked up besides. */
const LISTS = ['wait', 'active', 'paused'] as const;
const SETS = ['delayed', 'failed', 'completed'] as const;

interface JobState {
  queue: string;
  id: string;
  hash: Record<string, string>;
  in: string[];
  lock: string | null;
  stalledMark: boolean;
}

async function jobState(
  redis: Redis,
  prefix: string,
  queue: string,
  id: string,
): Promise<JobState> {
  const key = (part: string): string => `${prefix}:${queue}:${part}`;
  const hash = await redis.hgetall(key(id));
  // Bull's data and stack traces are long; the fields that tell the story are kept whole.
  const places: string[] = [];
  for (const list of LISTS) {
    const members = await redis.lrange(key(list), 0, -1);
    if (members.includes(id)) places.push(list);
  }
  for (const set of SETS) if ((await redis.zscore(key(set), id)) !== null) places.push(set);
  return {
    queue,
    id,
    hash,
    in: places,
    lock: await redis.get(key(`${id}:lock`)),
    stalledMark: (await redis.sismember(key('stalled'), id)) === 1,
  };
}

/** Rows of one PSID across the tables a delivery's answer goes through. */
async function rowsOf(client: Client, psid: string): Promise<Record<string, unknown[]>> {
  const q = async (sql: string, params: unknown[]): Promise<unknown[]> =>
    (await client.query(sql, params)).rows;
  const inbox = await q(
    `SELECT id, status, note, kind, sender_key, occurred_at, received_at, processed_at
       FROM messenger_inbox WHERE sender_key LIKE '%' || $1 ORDER BY id`,
    [psid],
  );
  const contacts = await q(`SELECT * FROM contacts WHERE external_id = $1`, [psid]);
  const conversations = await q(
    `SELECT c.* FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = $1`,
    [psid],
  );
  const replies = await q(
    `SELECT r.* FROM replies r JOIN conversations c ON c.id = r.conversation_id
       JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = $1 ORDER BY r.created_at`,
    [psid],
  );
  const messages = await q(
    `SELECT m.id, m.direction, m.reply_id, m.position, m.status, m.attempts, m.sending_by,
            m.sending_at, m.sent_at, m.external_id, m.error_code, m.error_message, m.created_at
       FROM messages m JOIN conversations c ON c.id = m.conversation_id
       JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = $1 ORDER BY m.id`,
    [psid],
  );
  return { inbox, contacts, conversations, replies, messages };
}

/**
 * Writes `evidence.json` for the PSIDs given (lost or duplicated), reading Postgres and Redis
 * while both still run; returns the ids found (inbox, replies, messages, claim tokens) so the
 * caller can also pick their log lines.
 */
export async function writeEvidence(options: {
  folder: string;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  psids: { psid: string; why: string }[];
  logs: string[];
}): Promise<string> {
  const { folder, databaseUrl, redisUrl, prefix, psids, logs } = options;
  const client = new Client({ connectionString: databaseUrl });
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, lazyConnect: true });
  redis.on('error', () => undefined);
  const evidence: Record<string, unknown>[] = [];
  const file = join(folder, 'evidence.json');
  try {
    await client.connect();
    await redis.connect().catch(() => undefined);
    for (const { psid, why } of psids.slice(0, 50)) {
      const rows = await rowsOf(client, psid);
      // Inbox and message ids are small numbers: matched as whole words only.
      const words = [
        ...(rows.inbox as { id: string }[]).map((row) => String(row.id)),
        ...(rows.messages as { id: string }[]).map((row) => String(row.id)),
      ];
      const texts = [
        ...(rows.replies as { id: string }[]).map((row) => row.id),
        ...(rows.messages as { sending_by: string | null }[]).flatMap((row) =>
          row.sending_by ? [row.sending_by] : [],
        ),
      ];
      const named = (line: string): boolean =>
        texts.some((text) => line.includes(text)) ||
        words.some((word) => new RegExp(`\\b${word}\\b`).test(line));
      const jobs: (JobState | string)[] = [];
      for (const row of rows.inbox as { id: string }[])
        jobs.push(await jobState(redis, prefix, 'messenger-inbound', String(row.id)).catch(String));
      for (const row of rows.replies as { id: string }[])
        jobs.push(await jobState(redis, prefix, 'outbound', row.id).catch(String));
      const lines = logs.flatMap((name) => {
        const path = join(folder, `${name}.log`);
        if (!existsSync(path)) return [];
        const text = readFileSync(path, 'utf8').split('\n');
        return text.filter(named).map((line) => `${name}: ${line}`);
      });
      evidence.push({ psid, why, ...rows, jobs, logLines: lines.slice(0, 400) });
    }
    // Redis's whole state too (dump.rdb: the chaos suite starts it with --dir <folder>).
    if (redis.status === 'ready') await redis.save().catch(() => undefined);
  } finally {
    writeFileSync(file, JSON.stringify(evidence, null, 2));
    await client.end().catch(() => undefined);
    redis.disconnect();
  }
  return file;
}
