import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { type NextDelivery } from './bench-load';
import { SystemMeter } from './bench-meters';
import { adminApi, builtAppEnv, PG_URL, sleep } from './bench-support';
import { signedDelivery } from './signed-delivery';

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
        // Likewise the batches' pairing of moderate traffic, off unless asked for.
        ...(process.env.MESSENGER_INBOUND_PAIRING !== undefined && {
          MESSENGER_INBOUND_PAIRING: process.env.MESSENGER_INBOUND_PAIRING,
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

/**
 * Stops the products (and a floor: any Product), drops their databases unless `keepDatabases`,
 * and stops the bench's fake Graph API and Redis.
 */
export async function stopAll(
  products: Product[],
  graph: ChildProcess,
  redis: ChildProcess,
  keepDatabases = false,
): Promise<void> {
  for (const product of products) {
    product.child.kill('SIGTERM');
    await new Promise((resolve) => product.child.once('exit', resolve));
    await product.db.end();
    if (!keepDatabases)
      await admin(`DROP DATABASE IF EXISTS "${product.databaseName}" WITH (FORCE)`);
  }
  graph.send({ type: 'stop' });
  redis.kill('SIGTERM');
}

/** The median, to two decimals. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return Math.round(value * 100) / 100;
}

/**
 * Signed single-item Get Started deliveries of `trackingParam`, each from a new PSID (`psidDigit`
 * and a counter, 13 digits), spread over a system's pages; `posted` counts those made.
 */
export class Deliveries {
  posted = 0;

  constructor(
    private readonly appSecret: string,
    private readonly psidDigit: string,
    private readonly trackingParam: string,
  ) {}

  /** The next deliveries to one of `pages`, in turn. */
  to(pages: string[]): NextDelivery {
    return () => {
      const n = this.posted++;
      const psid = `${this.psidDigit}${String(n).padStart(12, '0')}`;
      return {
        psid,
        ...signedDelivery(this.appSecret, pages[n % pages.length], psid, this.trackingParam),
      };
    };
  }
}
