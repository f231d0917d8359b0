/**
 * npm run bench:stats — a referral with 1,000,000 entries and 3,000,000 clicks over 100 days,
 * and how fast its funnel is read: a 90-day daily series in Europe/Paris (the target: p50 under
 * 100 ms), a 7-day hourly series, the campaign overview and a page of entries, each 200
 * sequential requests over real HTTP after 20 of warm-up.
 *
 * Raw rows are seeded with generate_series in SQL (foreign-key triggers off for the seeding
 * session only), and the rollups are built from them by the aggregates the write path keeps
 * incrementally; 20 other referrals of the bot get a little traffic, so the overview has rows.
 */
import { Client } from 'pg';
import { benchQueuePrefix, dropBenchState, startBenchApp, summarise } from './bench-support';

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const CLICKS = Number(process.env.BENCH_CLICKS ?? 3_000_000);
const CONTACTS = Math.ceil(ENTRIES / 3);
const DAYS = 100;
const REQUESTS = 200;
const WARMUP = 20;

async function seed(client: Client, botId: string, referralId: string): Promise<void> {
  const started = Date.now();
  await client.query(`SET session_replication_role = replica`);
  await client.query(
    `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
     SELECT $1, 'messenger', 'bench-' || g, 'psid', now() - interval '${DAYS} days', now()
       FROM generate_series(1, $2) g`,
    [botId, CONTACTS],
  );
  // Entries: sources, an ad for a tenth, spread over the days; contacts in turn.
  await client.query(
    `WITH c AS (SELECT id, row_number() OVER () AS n FROM contacts WHERE bot_id = $1)
     INSERT INTO referral_entries (bot_id, referral_id, raw_ref, source, channel, contact_id, is_new_contact,
                                   ad_id, ads_context, occurred_at)
     SELECT $1, $2, 'bench', CASE WHEN g % 10 = 0 THEN 'ADS' WHEN g % 3 = 0 THEN 'CUSTOMER_CHAT_PLUGIN' ELSE 'SHORTLINK' END,
            'messenger', c.id, g <= $4, CASE WHEN g % 10 = 0 THEN 'ad-' || (g % 4) END,
            CASE WHEN g % 10 = 0 THEN jsonb_build_object('ad_title', 'Bench ad ' || (g % 4)) END,
            now() - (random() * interval '${DAYS} days')
       FROM generate_series(1, $3) g JOIN c ON c.n = 1 + (g % $4)`,
    [botId, referralId, ENTRIES, CONTACTS],
  );
  await client.query(
    `INSERT INTO referral_clicks (bot_id, referral_id, tracking_param, clicked_at, clicker, is_bot, target)
     SELECT $1, $2, 'bench', now() - (random() * interval '${DAYS} days'),
            decode(md5((g % 2000000)::text), 'hex'), g % 20 = 0, 'messenger'
       FROM generate_series(1, $3) g`,
    [botId, referralId, CLICKS],
  );
  await client.query(`SET session_replication_role = DEFAULT`);
  const seeded = Date.now();
  // The rollups the write path keeps, built at once from the raw rows.
  await client.query(
    `INSERT INTO referral_stats (referral_id, bot_id, bucket, source, channel, ad_id, clicks, unique_clicks, bot_clicks)
     SELECT referral_id, bot_id, date_bin('15 minutes', clicked_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'), '*', '*', '*',
            count(*) FILTER (WHERE NOT is_bot), count(*) FILTER (WHERE NOT is_bot AND first), count(*) FILTER (WHERE is_bot)
       FROM (SELECT *, row_number() OVER (PARTITION BY clicker, clicked_at::date ORDER BY clicked_at) = 1 AS first
               FROM referral_clicks WHERE referral_id = $1) c
      GROUP BY 1, 2, 3`,
    [referralId],
  );
  await client.query(
    `WITH e AS (
       SELECT *, row_number() OVER (PARTITION BY contact_id ORDER BY occurred_at, id) AS n
         FROM referral_entries WHERE referral_id = $1
     )
     INSERT INTO referral_stats (referral_id, bucket, source, channel, ad_id, bot_id, entries, unique_contacts,
                                 new_contacts, returning_contacts, answers_sent, answers_delivered, answers_read,
                                 engaged_contacts)
     SELECT referral_id, date_bin('15 minutes', occurred_at, TIMESTAMPTZ '2000-01-01 00:00:00+00'),
            coalesce(source, ''), channel, coalesce(ad_id, ''), bot_id, count(*),
            count(*) FILTER (WHERE n = 1), count(*) FILTER (WHERE n = 1 AND is_new_contact),
            count(*) FILTER (WHERE n = 1 AND NOT is_new_contact), count(*), count(*) * 9 / 10,
            count(*) * 7 / 10, count(*) FILTER (WHERE n = 1) / 3
       FROM e GROUP BY 1, 2, 3, 4, 5, 6`,
    [referralId],
  );
  // Each bucket's total row takes its entries' counts too.
  await client.query(
    `INSERT INTO referral_stats (referral_id, bucket, source, channel, ad_id, bot_id, entries, unique_contacts,
                                 new_contacts, returning_contacts, answers_sent, answers_delivered, answers_read,
                                 engaged_contacts)
     SELECT referral_id, bucket, '*', '*', '*', bot_id, sum(entries), sum(unique_contacts), sum(new_contacts),
            sum(returning_contacts), sum(answers_sent), sum(answers_delivered), sum(answers_read),
            sum(engaged_contacts)
       FROM referral_stats WHERE referral_id = $1 AND channel <> '*' GROUP BY referral_id, bucket, bot_id
     ON CONFLICT (referral_id, bucket, source, channel, ad_id) DO UPDATE SET
       entries = EXCLUDED.entries, unique_contacts = EXCLUDED.unique_contacts,
       new_contacts = EXCLUDED.new_contacts, returning_contacts = EXCLUDED.returning_contacts,
       answers_sent = EXCLUDED.answers_sent, answers_delivered = EXCLUDED.answers_delivered,
       answers_read = EXCLUDED.answers_read, engaged_contacts = EXCLUDED.engaged_contacts`,
    [referralId],
  );
  await client.query(
    `INSERT INTO referral_ads (bot_id, ad_id, title)
     SELECT $1, 'ad-' || g, 'Bench ad ' || g FROM generate_series(0, 3) g`,
    [botId],
  );
  await client.query(`ANALYZE`);
  const { rows: size } = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM referral_stats WHERE referral_id = $1`,
    [referralId],
  );
  console.log(
    `Seeded ${ENTRIES} entries, ${CLICKS} clicks, ${CONTACTS} contacts in ${((seeded - started) / 1000).toFixed(0)} s; ` +
      `${size[0].n} rollup rows built in ${((Date.now() - seeded) / 1000).toFixed(0)} s`,
  );
}

async function measure(url: string, token: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS + WARMUP; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    await response.arrayBuffer();
    const elapsed = performance.now() - started;
    if (response.status !== 200) throw new Error(`${url}: ${response.status}`);
    if (i >= WARMUP) samples.push(elapsed);
  }
  return samples;
}

async function main(): Promise<void> {
  const databaseName = `bp_bench_stats_${process.pid}`;
  const queuePrefix = benchQueuePrefix();
  const cleanUp = (): Promise<void> => dropBenchState(databaseName, queuePrefix);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  const bench = await startBenchApp(databaseName, { QUEUE_PREFIX: queuePrefix }).catch(
    async (error: unknown) => {
      await cleanUp();
      throw error;
    },
  );
  const client = new Client({ connectionString: bench.config.databaseUrl });
  try {
    await client.connect();
    const token = bench.config.adminToken;
    const call = async (method: string, path: string, body?: unknown): Promise<any> => {
      const response = await fetch(`${bench.baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
      return response.json();
    };
    const bot = await call('POST', '/api/v1/bots', { name: 'Stats bench' });
    const referral = (trackingParam: string): Promise<{ id: string }> =>
      call('POST', `/api/v1/bots/${bot.id}/referrals`, {
        trackingParam,
        answerType: 'message',
        content: { messages: [{ type: 'text', text: 'Hello' }] },
        segmentName: 'Bench',
      });
    const big = await referral('big-campaign');
    for (let i = 0; i < 20; i++) await referral(`small-${i}`);
    await seed(client, bot.id, big.id);

    const base = `${bench.baseUrl}/api/v1/bots/${bot.id}/referrals`;
    const now = new Date();
    const daysAgo = (days: number): string =>
      new Date(now.getTime() - days * 24 * 3600_000).toISOString();
    const scenarios: [string, string][] = [
      [
        '90-day daily series (Europe/Paris)',
        `${base}/${big.id}/stats?from=${daysAgo(90)}&to=${now.toISOString()}&interval=day&timeZone=Europe/Paris`,
      ],
      [
        '7-day hourly series (Asia/Kathmandu)',
        `${base}/${big.id}/stats?from=${daysAgo(7)}&to=${now.toISOString()}&interval=hour&timeZone=Asia/Kathmandu`,
      ],
      ['overview, 21 referrals, 90 days', `${base}/stats?from=${daysAgo(90)}&sort=clicks&limit=50`],
      ['entries, first page of 50', `${base}/${big.id}/entries?from=${daysAgo(90)}&limit=50`],
    ];
    console.log(
      `Referral stats over HTTP, ${REQUESTS} sequential requests each after ${WARMUP} of warm-up (ms)`,
    );
    for (const [name, url] of scenarios) {
      const stats = summarise(await measure(url, token));
      console.log(
        `${name.padEnd(38)} p50 ${stats.p50}  p95 ${stats.p95}  p99 ${stats.p99}  max ${stats.max}`,
      );
    }
  } finally {
    await client.end();
    await bench.app.close();
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
