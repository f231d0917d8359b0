import { randomBytes } from 'node:crypto';
import { type Pool } from 'pg';
import { type Http } from './http';

/** Short builders for management API calls that tests repeat. */

export function text(value: string): { messages: { type: 'text'; text: string }[] } {
  return { messages: [{ type: 'text', text: value }] };
}

export function randomPageId(): string {
  return String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000));
}

export async function createBot(
  admin: Http,
  name = 'Test bot',
): Promise<{ id: string; channels: any }> {
  const response = await admin.post('/api/v1/bots', { name });
  if (response.status !== 201) throw new Error(`createBot: ${response.status} ${response.text}`);
  return response.body;
}

export async function connectPage(
  admin: Http,
  botId: string,
  pageId = randomPageId(),
  pageUsername?: string,
): Promise<{ pageId: string; pageAccessToken: string }> {
  const pageAccessToken = `EAAtest${randomBytes(16).toString('hex')}`;
  const response = await admin.put(`/api/v1/bots/${botId}/channels/messenger`, {
    pageId,
    pageAccessToken,
    ...(pageUsername ? { pageUsername } : {}),
  });
  if (response.status !== 200) throw new Error(`connectPage: ${response.status} ${response.text}`);
  return { pageId, pageAccessToken };
}

export async function createModule(
  http: Http,
  botId: string,
  body: { name?: string; type?: string; config?: unknown } = {},
): Promise<{ id: string; name: string }> {
  const response = await http.post(`/api/v1/bots/${botId}/modules`, {
    name: body.name ?? 'Module',
    type: body.type ?? 'message',
    config: body.config ?? { content: text('From the module') },
  });
  if (response.status !== 201) throw new Error(`createModule: ${response.status} ${response.text}`);
  return response.body;
}

export async function createReferral(
  http: Http,
  botId: string,
  body: Record<string, unknown>,
): Promise<any> {
  const response = await http.post(`/api/v1/bots/${botId}/referrals`, {
    answerType: 'message',
    content: text('Welcome from the referral'),
    segmentName: 'Default segment',
    ...body,
  });
  if (response.status !== 201)
    throw new Error(`createReferral: ${response.status} ${response.text}`);
  return response.body;
}

export async function createApiKey(admin: Http, botId: string): Promise<string> {
  const response = await admin.post(`/api/v1/bots/${botId}/api-keys`, { name: 'test key' });
  if (response.status !== 201) throw new Error(`createApiKey: ${response.status} ${response.text}`);
  return response.body.key;
}

/** Inserts `count` Messenger contacts of a bot straight in SQL, for volume; returns their ids. */
export async function bulkContacts(
  db: Pick<Pool, 'query'>,
  botId: string,
  count: number,
  prefix = 'psid-',
): Promise<string[]> {
  const { rows } = await db.query<{ id: string }>(
    `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
     SELECT $1, 'messenger', $2 || g, 'psid', now(), now() FROM generate_series(1, $3) g RETURNING id`,
    [botId, prefix, count],
  );
  return rows.map((row) => row.id);
}
