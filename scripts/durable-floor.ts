/**
 * The durable floor that bench:webhook measures the product against: the least a Messenger webhook
 * can do and still store every delivery before acknowledging it. Raw `node:http`, the
 * `X-Hub-Signature-256` check over the raw bytes, one INSERT (deduped by Meta's message id), then
 * 200 and one Bull job per delivery (queued without waiting for Redis, as the product does; the
 * floor has no sweeper for jobs Redis loses); a Bull worker in the same process reads the stored
 * item and sends one text to the same fake Graph API the product sends to. No framework, no
 * contacts, no entries, no send claims: what is left is the cost of durability itself.
 *
 * Run as a child process (forked by bench-webhook.ts); configured by environment:
 * FLOOR_PORT, FLOOR_SECRET, FLOOR_DATABASE_URL, FLOOR_REDIS_URL, FLOOR_QUEUE_PREFIX,
 * FLOOR_GRAPH_URL. Tells its parent `{ type: 'ready' }` once it listens; exits on SIGTERM.
 */
import Queue from 'bull';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Pool } from 'pg';
import { Agent, request } from 'undici';

const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
};

const secret = env('FLOOR_SECRET');
const graphUrl = env('FLOOR_GRAPH_URL');
const pool = new Pool({ connectionString: env('FLOOR_DATABASE_URL'), max: 32 });
const queue = new Queue<{ id: string }>('floor-inbound', env('FLOOR_REDIS_URL'), {
  prefix: env('FLOOR_QUEUE_PREFIX'),
  defaultJobOptions: { attempts: 8, backoff: { type: 'exponential', delay: 500 } },
});
const graph = new Agent({ connections: 32 });

/** True when `header` is `sha256=<hex HMAC of raw>`, compared in constant time. */
function signed(raw: Buffer, header: string | string[] | undefined): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(raw).digest();
  const given = Buffer.from(header.slice(7), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Item {
  sender?: { id?: string };
  postback?: { mid?: string };
  message?: { mid?: string };
}

async function receive(raw: Buffer): Promise<void> {
  const body = JSON.parse(raw.toString('utf8')) as { entry?: { messaging?: Item[] }[] };
  for (const entry of body.entry ?? []) {
    for (const item of entry.messaging ?? []) {
      const key = item.postback?.mid ?? item.message?.mid ?? JSON.stringify(item);
      const { rows } = await pool.query<{ id: string }>({
        name: 'floor_insert',
        text: `INSERT INTO floor_inbox (dedupe_key, payload) VALUES ($1, $2)
               ON CONFLICT (dedupe_key) DO NOTHING RETURNING id`,
        values: [key, JSON.stringify(item)],
      });
      // A redelivery is stored already: nothing to queue. Not awaited, as in the product: the
      // item is safe once stored, and the answer to Meta need not wait on Redis.
      if (rows[0])
        void queue
          .add({ id: rows[0].id }, { jobId: rows[0].id, removeOnComplete: true })
          .catch(() => undefined);
    }
  }
}

function answer(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  if (req.method === 'GET') return answer(res, 200, 'ok');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const raw = Buffer.concat(chunks);
    if (!signed(raw, req.headers['x-hub-signature-256'])) return answer(res, 403, 'forbidden');
    receive(raw).then(
      () => answer(res, 200, 'EVENT_RECEIVED'),
      // Not stored: Meta redelivers on anything but 200.
      () => answer(res, 503, 'unavailable'),
    );
  });
}

/** The worker: reloads the stored item and answers its sender with one text. */
async function send(id: string): Promise<void> {
  const { rows } = await pool.query<{ payload: Item }>({
    name: 'floor_load',
    text: 'SELECT payload FROM floor_inbox WHERE id = $1',
    values: [id],
  });
  const psid = rows[0]?.payload.sender?.id;
  if (!psid) return;
  const response = await request(`${graphUrl}/v21.0/me/messages?access_token=floor`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      recipient: { id: psid },
      messaging_type: 'RESPONSE',
      message: { text: 'Hi there, welcome to the campaign!' },
    }),
    dispatcher: graph,
  });
  await response.body.dump();
  if (response.statusCode >= 500) throw new Error(`Graph answered ${response.statusCode}`);
}

async function main(): Promise<void> {
  await pool.query(`CREATE TABLE IF NOT EXISTS floor_inbox (
    id bigserial PRIMARY KEY, dedupe_key varchar(300) NOT NULL UNIQUE, payload jsonb NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now())`);
  await queue.isReady();
  void queue.process(16, (job) => send(job.data.id));
  const server = createServer(handle);
  server.keepAliveTimeout = 60_000;
  server.listen(Number(env('FLOOR_PORT')), '127.0.0.1', () => process.send?.({ type: 'ready' }));
  process.once('SIGTERM', () => {
    server.close();
    void Promise.all([queue.close(), pool.end(), graph.close()]).finally(() => process.exit(0));
  });
}

void main();
