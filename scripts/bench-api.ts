/**
 * npm run bench:api — seeds 10,000 referrals for one bot (plus 10,000 for a neighbour bot) and
 * measures the latency of listing pages of 50 over real HTTP, one request at a time.
 */
import { Pool } from 'pg';
import { dropBenchState, startBenchApp, summarise } from './bench-support';

const REFERRALS = 10_000;
const REQUESTS = 400;

async function seed(pool: Pool, botId: string): Promise<void> {
  await pool.query(
    `INSERT INTO segments (bot_id, name) SELECT $1, 'Segment ' || g FROM generate_series(1, 50) g`,
    [botId],
  );
  await pool.query(
    `INSERT INTO referrals (bot_id, tracking_param, answer_type, content, segment_id, description, active, created_at)
     SELECT $1, 'campaign-' || g, 'message',
            jsonb_build_object('messages', jsonb_build_array(jsonb_build_object('type', 'text', 'text', 'Hello ' || g))),
            (SELECT id FROM segments WHERE bot_id = $1 ORDER BY name OFFSET (g % 50) LIMIT 1),
            CASE WHEN g % 10 = 0 THEN 'Flyer batch ' || g END, g % 7 <> 0,
            now() - (g || ' seconds')::interval
       FROM generate_series(1, $2) g`,
    [botId, REFERRALS],
  );
  await pool.query('ANALYZE');
}

async function measure(url: string, token: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < REQUESTS + 20; i++) {
    const started = performance.now();
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    const body = (await response.json()) as { items?: unknown[] };
    const elapsed = performance.now() - started;
    if (response.status !== 200 || !Array.isArray(body.items))
      throw new Error(`${url}: ${response.status}`);
    if (i >= 20) samples.push(elapsed);
  }
  return samples;
}

async function main(): Promise<void> {
  const databaseName = `bp_bench_api_${process.pid}`;
  const bench = await startBenchApp(databaseName);
  const pool = new Pool({ connectionString: bench.config.databaseUrl });
  try {
    const token = bench.config.adminToken;
    const createBot = async (name: string): Promise<string> => {
      const response = await fetch(`${bench.baseUrl}/api/v1/bots`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name }),
      });
      return ((await response.json()) as { id: string }).id;
    };
    const botId = await createBot('Bench bot');
    await seed(pool, botId);
    await seed(pool, await createBot('Neighbour bot'));

    const base = `${bench.baseUrl}/api/v1/bots/${botId}/referrals`;
    const deep = (await (
      await fetch(`${base}?limit=50&active=true`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { nextCursor: string };
    const scenarios: [string, string][] = [
      ['first page of 50', `${base}?limit=50`],
      ['second page (cursor)', `${base}?limit=50&cursor=${deep.nextCursor}`],
      ['filtered: active, message', `${base}?limit=50&active=true&answerType=message`],
      ['search "batch 99"', `${base}?limit=50&search=batch%2099`],
      ['search by segment name', `${base}?limit=50&search=Segment%2042`],
    ];
    console.log(
      `GET /api/v1/bots/{botId}/referrals over ${REFERRALS} referrals, ${REQUESTS} sequential requests each (ms)`,
    );
    for (const [name, url] of scenarios) {
      const stats = summarise(await measure(url, token));
      console.log(
        `${name.padEnd(28)} p50 ${stats.p50}  p95 ${stats.p95}  p99 ${stats.p99}  max ${stats.max}`,
      );
    }
  } finally {
    await pool.end();
    await bench.app.close();
    await dropBenchState(databaseName, bench.config.queuePrefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
