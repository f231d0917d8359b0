import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { SystemMeter } from './bench-meters';
import { adminApi, builtAppEnv, PG_URL, sleep } from './bench-support';

/**
 * A built app (`dist/main.js` or another build's) run by a webhook bench as production runs it
 * (PROCESS_ROLE=all, LOG_LEVEL=info), with Messenger pages whose Get Started referral answers a
 * personalised text, and a meter of its cost (bench:webhook, bench:compare).
 */

/** A running product: where to post deliveries, its pages, and what measures it. */
export interface Product {
  url: string;
  pid: number;
  child: ChildProcess;
  databaseName: string;
  pages: string[];
  meter: SystemMeter;
  db: Client;
}

export interface ProductOptions {
  /** The build's entry point. */
  main: string;
  /** Flags for its node (`--cpu-prof`). */
  nodeArgs: string[];
  databaseName: string;
  queuePrefix: string;
  /** A Redis of the bench's own (startPrivateRedis): its counters are the bench's. */
  redis: { url: string; child: ChildProcess };
  graphUrl: string;
  appSecret: string;
  pages: number;
  /** The first page id; the others follow it. */
  firstPageId: number;
  /** The tracking param every page's referral answers. */
  trackingParam: string;
  /** Its port; a free one of 3900-3989 by default. */
  port?: number;
}

/** Waits (60 s at most) for `url` to answer 2xx. */
export async function waitHealthy(url: string): Promise<void> {
  for (let i = 0; i < 240; i++) {
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(250);
  }
  throw new Error(`${url} did not come up`);
}

/** Runs `sql` on the `postgres` database (creating and dropping a bench's databases). */
export async function admin<T>(sql: string): Promise<T> {
  const client = new Client({ connectionString: `${PG_URL}/postgres` });
  await client.connect();
  try {
    return (await client.query(sql)) as T;
  } finally {
    await client.end();
  }
}

/** A meter of process `pid`, the backends of `databaseName` and the bench's Redis. */
export async function meterFor(
  pid: number,
  databaseName: string,
  redis: { url: string; child: ChildProcess },
): Promise<{ meter: SystemMeter; db: Client }> {
  const db = new Client({ connectionString: `${PG_URL}/${databaseName}` });
  await db.connect();
  const client = new Redis(redis.url);
  return { meter: new SystemMeter(pid, db, client, redis.child.pid!, databaseName), db };
}

/** Starts the product on a free port and sets up its bots, pages and referrals. */
export async function startProduct(options: ProductOptions): Promise<Product> {
  const adminToken = randomBytes(24).toString('hex');
  const appPort = options.port ?? 3900 + Math.floor(Math.random() * 90);
  const child = spawn(process.execPath, [...options.nodeArgs, options.main], {
    env: builtAppEnv(
      {
        port: appPort,
        databaseName: options.databaseName,
        queuePrefix: options.queuePrefix,
        adminToken,
      },
      {
        REDIS_URL: options.redis.url,
        MESSENGER_APP_SECRET: options.appSecret,
        MESSENGER_VERIFY_TOKEN: 'bench',
        MESSENGER_GRAPH_API_URL: options.graphUrl,
        LOG_LEVEL: 'info',
        PROCESS_ROLE: 'all',
        // The app's default (the one-hop send) unless MESSENGER_SEND_INLINE=false asks for the queue.
        ...(process.env.MESSENGER_SEND_INLINE !== undefined && {
          MESSENGER_SEND_INLINE: process.env.MESSENGER_SEND_INLINE,
        }),
      },
    ),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${appPort}`;
  await waitHealthy(`${base}/health`);
  const api = adminApi(base, adminToken);
  const pages: string[] = [];
  for (let i = 0; i < options.pages; i++) {
    const bot = await api('POST', '/api/v1/bots', { name: `Bench bot ${i}` });
    const pageId = String(options.firstPageId + i);
    await api('PUT', `/api/v1/bots/${bot.id}/channels/messenger`, {
      pageId,
      pageAccessToken: `EAAbench${randomBytes(12).toString('hex')}`,
    });
    await api('POST', `/api/v1/bots/${bot.id}/referrals`, {
      trackingParam: options.trackingParam,
      answerType: 'message',
      content: {
        messages: [
          { type: 'text', text: 'Hi {{contact.firstName|there}}, welcome to the campaign!' },
        ],
      },
      segmentName: 'Bench',
    });
    pages.push(pageId);
  }
  return {
    url: `${base}/webhooks/messenger`,
    pid: child.pid!,
    child,
    databaseName: options.databaseName,
    pages,
    ...(await meterFor(child.pid!, options.databaseName, options.redis)),
  };
}
