/**
 * npm run bench:webhook — the Messenger path under load on this machine, beside a durable floor.
 *
 * Two systems take the same signed single-item Get Started referral deliveries (a new PSID each)
 * and answer through the same fake Graph API process:
 *  - floor: scripts/durable-floor.ts, raw node:http + HMAC + one INSERT + one Bull job, and a
 *    Bull worker that sends (the least a durable webhook can do);
 *  - product: the built app (dist/main.js, PROCESS_ROLE=all, LOG_LEVEL=info as in production).
 * Each has a database of its own; both share a Redis the bench starts for itself (so Redis's
 * CPU and command counts are the bench's alone, whatever else runs on the machine).
 *
 * Each system is first warmed: a burst (pools, prepared statements), then BENCH_JIT_WARMUP_SECONDS
 * (45) at the steady rate, unmeasured, so that V8 has optimised its code as in a process that has
 * run for hours. Then in BENCH_ROUNDS rounds (default 2), the systems take turns (floor first in
 * odd rounds), each running three phases:
 *  1. e2e at BENCH_STEADY_RATE (150/s), then 2. at 300/s: BENCH_WARMUP_SECONDS of the same load
 *     unmeasured, then BENCH_MEASURE_SECONDS measured: webhook posted -> Send API call p50/p99;
 *     CPU per delivery split by process (the system's process, its Postgres backends, Redis;
 *     /proc/<pid>/stat deltas from the window's start to its last answer); Redis commands
 *     (INFO commandstats), rows inserted and updated (pg_stat_user_tables) and transactions
 *     (pg_stat_database xact_commit) per delivery, and Postgres CPU per transaction. Postgres
 *     flushes its counters within 10 s of going idle, so they are read BENCH_STATS_SETTLE_MS
 *     (11 s) after each window's edges.
 *  3. intake: as fast as BENCH_CONNECTIONS (32) connections post for BENCH_INTAKE_SECONDS: req/s.
 * Then a table: the median of the rounds per figure, floor, product and product / floor; and
 * each system's peak RSS (VmHWM).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { collectSends, flatOut, paced, waitForAnswers, type NextDelivery } from './bench-load';
import { type Cost, peakRssMb, startPrivateRedis } from './bench-meters';
import {
  admin,
  Deliveries,
  median,
  meterFor,
  type Product,
  startProduct,
  stopAll,
} from './bench-product';
import { machineLine, PG_URL, sleep, startGraph, summarise } from './bench-support';

const ROOT = join(__dirname, '..');
const APP_SECRET = randomBytes(16).toString('hex');
const PAGES = 4;
const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const ROUNDS = num('BENCH_ROUNDS', 2);
const STEADY_RATE = num('BENCH_STEADY_RATE', 150);
const PEAK_RATE = num('BENCH_PEAK_RATE', 300);
const CONNECTIONS = num('BENCH_CONNECTIONS', 32);
const INTAKE_SECONDS = num('BENCH_INTAKE_SECONDS', 5);
const WARMUP_SECONDS = num('BENCH_WARMUP_SECONDS', 5);
const JIT_WARMUP_SECONDS = num('BENCH_JIT_WARMUP_SECONDS', 45);
const MEASURE_SECONDS = num('BENCH_MEASURE_SECONDS', 15);
const SETTLE_MS = num('BENCH_STATS_SETTLE_MS', 11_000);

type System = Product & { name: 'floor' | 'product' };

/** One system's figures of one round. */
type Figures = Record<string, number>;

const deliveries = new Deliveries(APP_SECRET, '9', 'bench-campaign');
const nextFor = (system: { pages: string[] }): NextDelivery => deliveries.to(system.pages);

function startProductSystem(
  redis: { url: string; child: ChildProcess },
  graphUrl: string,
): Promise<System> {
  // BENCH_NODE_ARGS: flags for the product's node (--cpu-prof); BENCH_APP: another build's main.js.
  return startProduct({
    main: process.env.BENCH_APP ?? join(ROOT, 'dist', 'main.js'),
    nodeArgs: (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
    databaseName: `bp_bench_webhook_${process.pid}`,
    queuePrefix: 'bench',
    redis,
    graphUrl,
    appSecret: APP_SECRET,
    pages: PAGES,
    firstPageId: 200_000_000_000,
    trackingParam: 'bench-campaign',
  }).then((product) => ({ name: 'product', ...product }));
}

async function startFloor(
  redis: { url: string; child: ChildProcess },
  graphUrl: string,
): Promise<System> {
  const databaseName = `bp_bench_floor_${process.pid}`;
  await admin(`CREATE DATABASE "${databaseName}"`);
  const floorPort = 4000 + Math.floor(Math.random() * 90);
  const child = fork(join(__dirname, 'durable-floor.ts'), [], {
    execArgv: ['-r', 'ts-node/register/transpile-only'],
    env: {
      PATH: process.env.PATH ?? '',
      FLOOR_PORT: String(floorPort),
      FLOOR_SECRET: APP_SECRET,
      FLOOR_DATABASE_URL: `${PG_URL}/${databaseName}`,
      FLOOR_REDIS_URL: redis.url,
      FLOOR_QUEUE_PREFIX: 'floor',
      FLOOR_GRAPH_URL: graphUrl,
    },
  });
  await new Promise((resolve) => child.once('message', resolve));
  const pages = Array.from({ length: PAGES }, (_, i) => String(300_000_000_000 + i));
  const url = `http://127.0.0.1:${floorPort}/webhooks/messenger`;
  return {
    name: 'floor',
    url,
    pid: child.pid!,
    child,
    databaseName,
    pages,
    ...(await meterFor(child.pid!, databaseName, redis)),
  };
}

/** The measured e2e phase at `rate`: latency, and the cost per delivery. */
async function e2ePhase(system: System, graph: ChildProcess, rate: number): Promise<Figures> {
  await system.db.query('VACUUM (ANALYZE)');
  const postedAt = new Map<string, number>();
  await paced(system.url, rate, WARMUP_SECONDS, nextFor(system), postedAt);
  await waitForAnswers(graph, deliveries.posted, 300_000);
  await collectSends(graph);
  postedAt.clear();
  await sleep(SETTLE_MS);
  await system.meter.begin();
  const load = await paced(system.url, rate, MEASURE_SECONDS, nextFor(system), postedAt);
  await waitForAnswers(graph, deliveries.posted, 300_000);
  const atLastAnswer = await system.meter.read();
  const arrivals = await collectSends(graph);
  await sleep(SETTLE_MS);
  const cost: Cost = system.meter.cost(load.sent, atLastAnswer, await system.meter.read());
  const latencies = arrivals
    .filter(([psid]) => postedAt.has(psid))
    .map(([psid, at]) => at - postedAt.get(psid)!);
  const e2e = summarise(latencies);
  const tag = `${rate}/s`;
  console.log(
    `  ${system.name.padEnd(7)} ${tag}: ${latencies.length} answered of ${load.sent} (${load.failures} not 200) at ${load.rate}/s: ` +
      `e2e p50 ${e2e.p50} ms p99 ${e2e.p99} ms; CPU/delivery app ${cost.appCpuMs} + pg ${cost.postgresCpuMs} + redis ${cost.redisCpuMs} = ${cost.cpuMs} ms; ` +
      `redis cmds ${cost.redisCommands}, rows ins ${cost.rowsInserted} upd ${cost.rowsUpdated}, xact ${cost.transactions} (pg ${cost.postgresCpuMsPerTransaction} ms each)`,
  );
  const figures: Figures = {
    [`e2e p50 at ${tag} (ms)`]: e2e.p50,
    [`e2e p99 at ${tag} (ms)`]: e2e.p99,
  };
  for (const [key, value] of Object.entries(cost))
    figures[`${COST_LABELS[key as keyof Cost]} at ${tag}`] = value;
  return figures;
}

async function intakePhase(system: System, graph: ChildProcess): Promise<Figures> {
  const result = await flatOut(system.url, CONNECTIONS, INTAKE_SECONDS, nextFor(system));
  const failures = result.non2xx + result.errors + result.timeouts;
  const drainMs = await waitForAnswers(graph, deliveries.posted, 600_000);
  await collectSends(graph);
  console.log(
    `  ${system.name.padEnd(7)} intake: ${Math.round(result.requests.average)} req/s (${failures} not 200), ` +
      `latency p50 ${result.latency.p50} ms p99 ${result.latency.p99} ms; backlog answered ${Math.round(drainMs / 1000)} s after`,
  );
  return { 'intake (req/s)': Math.round(result.requests.average) };
}

const COST_LABELS: Record<keyof Cost, string> = {
  appCpuMs: 'CPU ms/delivery: process',
  postgresCpuMs: 'CPU ms/delivery: Postgres',
  redisCpuMs: 'CPU ms/delivery: Redis',
  cpuMs: 'CPU ms/delivery: all three',
  redisCommands: 'Redis commands/delivery',
  rowsInserted: 'rows inserted/delivery',
  rowsUpdated: 'rows updated/delivery',
  transactions: 'transactions/delivery',
  postgresCpuMsPerTransaction: 'CPU ms/transaction: Postgres',
};

function printTable(
  rounds: Record<System['name'], Figures[]>,
  rss: Record<System['name'], number>,
): void {
  const keys = Object.keys(rounds.product[0] ?? {});
  console.log(`\n${`medians of ${ROUNDS} rounds`.padEnd(38)}     floor   product   product/floor`);
  for (const key of keys) {
    const floor = median(rounds.floor.map((f) => f[key]));
    const product = median(rounds.product.map((f) => f[key]));
    const ratio = floor === 0 ? '-' : (product / floor).toFixed(2);
    console.log(
      `${key.padEnd(38)} ${String(floor).padStart(9)} ${String(product).padStart(9)}   ${ratio}`,
    );
  }
  console.log(
    `${'peak RSS (MB)'.padEnd(38)} ${String(rss.floor).padStart(9)} ${String(rss.product).padStart(9)}   ${(rss.product / rss.floor).toFixed(2)}`,
  );
}

async function main(): Promise<void> {
  const redis = await startPrivateRedis();
  const graph = await startGraph();
  const systems: System[] = [];
  try {
    systems.push(await startFloor(redis, graph.url));
    systems.push(await startProductSystem(redis, graph.url));
    // Warm-up: connection pools and prepared plans (the burst), then the JIT (the steady load: V8
    // was still optimising the product's code for a minute of traffic, at a cost of 1 to 2 ms of
    // CPU a delivery, which a process that has run for hours no longer pays).
    for (const system of systems) {
      await flatOut(system.url, 8, 2, nextFor(system));
      await paced(system.url, STEADY_RATE, JIT_WARMUP_SECONDS, nextFor(system), new Map());
      await waitForAnswers(graph.child, deliveries.posted, 120_000);
    }
    await collectSends(graph.child);
    console.log(
      `bench:webhook: floor vs product, ${ROUNDS} rounds, ${MEASURE_SECONDS} s measured per rate after ${WARMUP_SECONDS} s warm-up ` +
        `(each system warmed by ${JIT_WARMUP_SECONDS} s at ${STEADY_RATE}/s first), ` +
        `intake ${INTAKE_SECONDS} s at ${CONNECTIONS} connections; ${machineLine()}`,
    );
    const rounds: Record<System['name'], Figures[]> = { floor: [], product: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}`);
      const order = round % 2 === 1 ? systems : [...systems].reverse();
      for (const system of order) {
        const figures: Figures = {};
        for (const rate of [STEADY_RATE, PEAK_RATE])
          Object.assign(figures, await e2ePhase(system, graph.child, rate));
        Object.assign(figures, await intakePhase(system, graph.child));
        rounds[system.name].push(figures);
      }
    }
    const rss = { floor: peakRssMb(systems[0].pid), product: peakRssMb(systems[1].pid) };
    printTable(rounds, rss);
  } finally {
    await stopAll(systems, graph.child, redis.child, process.env.BENCH_KEEP_DB === '1');
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
