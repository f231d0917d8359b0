/**
 * npm run bench:compare — two or more builds of the product side by side on this machine, in
 * interleaved rounds: the before/after of a change, told apart from the machine's own drift.
 *
 * BENCH_APPS names the builds: `name=path/to/main.js,...` (at least two; build another revision
 * with `git worktree add --detach <dir> <rev>` and `npx nest build` there); `name=path|args`
 * starts that build with node options of its own (space-separated, after BENCH_NODE_ARGS), so
 * one build can be compared under two V8 settings. Each runs as
 * production does (PROCESS_ROLE=all, LOG_LEVEL=info) on a database and queue prefix of its own;
 * all share one Redis the bench starts for itself and one fake Graph API process, and take the
 * same signed single-item Get Started referral deliveries (a new PSID each). Only one build takes
 * load at a time. Each is warmed first (a burst, then BENCH_JIT_WARMUP_SECONDS, 45, at the first
 * rate). Then in BENCH_ROUNDS (6) rounds, the builds take turns in rotating order, each at every
 * rate of BENCH_RATES (150,300): BENCH_WARMUP_SECONDS (5) unmeasured, then
 * BENCH_MEASURE_SECONDS (15) measured:
 * - e2e p50/p99, webhook posted to Send API call;
 * - CPU per delivery of the build's process, its Postgres backends and Redis (/proc/<pid>/stat,
 *   from the window's start to its last answer);
 * - the build's read and write syscalls per delivery (/proc/<pid>/io `syscr`, `syscw`): a count,
 *   steadier than CPU time on a shared machine, of its round trips to Postgres, Redis and Meta.
 * - with BENCH_COUNT_TRANSACTIONS=1, the build's transactions per delivery (pg_stat_database
 *   xact_commit): how many deliveries a batch took. Postgres flushes an idle backend's counters
 *   within 10 s, so the window then waits 11 s before it starts (the warm-up's commits counted)
 *   and after its last answer (its own), 22 s more per window.
 * It prints each window, then per build and rate the medians of the rounds, and each build's
 * paired difference from the first build (mean of the rounds' differences, and in how many rounds
 * it was lower): on a machine whose CPU per delivery drifts by a millisecond between rounds, a
 * change is real when the pairs agree, not when two medians differ.
 */
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { collectSends, flatOut, paced, waitForAnswers, type NextDelivery } from './bench-load';
import { peakRssMb, startPrivateRedis } from './bench-meters';
import { Deliveries, median, type Product, startProduct, stopAll } from './bench-product';
import { machineLine, sleep, startGraph, summarise } from './bench-support';

const num = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
const ROUNDS = num('BENCH_ROUNDS', 6);
const RATES = (process.env.BENCH_RATES ?? '150,300').split(',').map(Number);
const WARMUP_SECONDS = num('BENCH_WARMUP_SECONDS', 5);
const JIT_WARMUP_SECONDS = num('BENCH_JIT_WARMUP_SECONDS', 45);
const MEASURE_SECONDS = num('BENCH_MEASURE_SECONDS', 15);
const APP_SECRET = randomBytes(16).toString('hex');
const PAGES = 4;

type Build = Product & { name: string };
/** One window's figures, by name. */
type Window = Record<(typeof FIGURES)[number], number>;
const FIGURES = ['cpu', 'app', 'pg', 'redis', 'p50', 'p99', 'syscr', 'syscw', 'xact'] as const;
const COUNT_TRANSACTIONS = process.env.BENCH_COUNT_TRANSACTIONS === '1';
/** The figures printed: transactions only when counted. */
const SHOWN = FIGURES.filter((figure) => COUNT_TRANSACTIONS || figure !== 'xact');
/** Longer than Postgres's PGSTAT_IDLE_INTERVAL (10 s): an idle backend's counters are flushed. */
const SETTLE_MS = 11_000;

const deliveries = new Deliveries(APP_SECRET, '8', 'bench-campaign');
const nextFor = (build: { pages: string[] }): NextDelivery => deliveries.to(build.pages);

/** Read and write syscalls a process has made so far (/proc/<pid>/io). */
function syscalls(pid: number): { reads: number; writes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const count = (name: string) => Number(new RegExp(`${name}: (\\d+)`).exec(io)?.[1] ?? NaN);
  return { reads: count('syscr'), writes: count('syscw') };
}

async function measure(build: Build, graph: Awaited<ReturnType<typeof startGraph>>, rate: number) {
  await paced(build.url, rate, WARMUP_SECONDS, nextFor(build), new Map());
  await waitForAnswers(graph.child, deliveries.posted, 300_000);
  await collectSends(graph.child);
  // The sends' records of the warm-up (written within 50 ms of each) stay out of the window.
  await sleep(COUNT_TRANSACTIONS ? SETTLE_MS : 1000);
  const postedAt = new Map<string, number>();
  const before = syscalls(build.pid);
  await build.meter.begin();
  const load = await paced(build.url, rate, MEASURE_SECONDS, nextFor(build), postedAt);
  await waitForAnswers(graph.child, deliveries.posted, 300_000);
  const busy = await build.meter.read();
  const after = syscalls(build.pid);
  const latencies = (await collectSends(graph.child))
    .filter(([psid]) => postedAt.has(psid))
    .map(([psid, at]) => at - postedAt.get(psid)!);
  // Rows are not compared here, and transactions only when asked (Postgres's counters settle).
  const settled = COUNT_TRANSACTIONS ? await sleep(SETTLE_MS).then(() => build.meter.read()) : busy;
  const cost = build.meter.cost(load.sent, busy, settled);
  const e2e = summarise(latencies);
  const per = (value: number) => Math.round((value / load.sent) * 10) / 10;
  const window: Window = {
    cpu: cost.cpuMs,
    app: cost.appCpuMs,
    pg: cost.postgresCpuMs,
    redis: cost.redisCpuMs,
    p50: e2e.p50,
    p99: e2e.p99,
    syscr: per(after.reads - before.reads),
    syscw: per(after.writes - before.writes),
    xact: COUNT_TRANSACTIONS ? cost.transactions : NaN,
  };
  console.log(
    `  ${build.name.padEnd(10)} ${rate}/s: ${latencies.length} answered of ${load.sent}: ` +
      `CPU/delivery ${window.cpu} ms (app ${window.app}, pg ${window.pg}, redis ${window.redis}); ` +
      `e2e p50 ${window.p50} ms p99 ${window.p99} ms; syscalls/delivery read ${window.syscr} write ${window.syscw}` +
      (COUNT_TRANSACTIONS ? `; transactions/delivery ${window.xact}` : ''),
  );
  return window;
}

function printSummary(builds: Build[], windows: Map<string, Window[]>): void {
  console.log(
    `\nmedians of ${ROUNDS} rounds; paired with ${builds[0].name}: mean difference (lower in n of ${ROUNDS})`,
  );
  console.log(`${'build'.padEnd(10)} rate   ${SHOWN.map((f) => f.padStart(16)).join('')}`);
  for (const rate of RATES) {
    const first = windows.get(`${builds[0].name}@${rate}`)!;
    for (const build of builds) {
      const own = windows.get(`${build.name}@${rate}`)!;
      const cells = SHOWN.map((figure) => {
        const values = own.map((w) => w[figure]);
        if (build === builds[0]) return String(median(values)).padStart(16);
        const diffs = values.map((value, round) => value - first[round][figure]);
        const mean = diffs.reduce((sum, d) => sum + d, 0) / diffs.length;
        const lower = diffs.filter((d) => d < 0).length;
        const sign = mean >= 0 ? '+' : '';
        return `${median(values)} ${sign}${mean.toFixed(2)}(${lower})`.padStart(16);
      });
      console.log(`${build.name.padEnd(10)} ${String(rate).padEnd(6)} ${cells.join('')}`);
    }
  }
  for (const build of builds) console.log(`peak RSS ${build.name}: ${peakRssMb(build.pid)} MB`);
}

async function main(): Promise<void> {
  const specs = (process.env.BENCH_APPS ?? '')
    .split(',')
    .filter(Boolean)
    .map((spec) => {
      const name = spec.slice(0, Math.max(0, spec.indexOf('=')));
      const [main, ownArgs = ''] = spec.slice(name.length + 1).split('|');
      return { name, main, ownArgs };
    });
  const names = specs.map((spec) => spec.name);
  if (specs.length < 2 || names.some((name) => !name) || new Set(names).size < names.length)
    throw new Error(
      'BENCH_APPS: name=path/to/main.js[|node options],... (two or more, names unique)',
    );
  const redis = await startPrivateRedis();
  const graph = await startGraph();
  const builds: Build[] = [];
  try {
    for (const [index, { name, main, ownArgs }] of specs.entries()) {
      const product = await startProduct({
        main,
        nodeArgs: `${process.env.BENCH_NODE_ARGS ?? ''} ${ownArgs}`.split(' ').filter(Boolean),
        databaseName: `bp_bench_compare_${process.pid}_${index}`,
        queuePrefix: `compare${index}`,
        redis,
        graphUrl: graph.url,
        appSecret: APP_SECRET,
        pages: PAGES,
        firstPageId: 210_000_000_000 + index * 100,
        trackingParam: 'bench-campaign',
        port: 4100 + index,
      });
      builds.push({ name, ...product });
    }
    for (const build of builds) {
      await flatOut(build.url, 8, 2, nextFor(build));
      await paced(build.url, RATES[0], JIT_WARMUP_SECONDS, nextFor(build), new Map());
      await waitForAnswers(graph.child, deliveries.posted, 120_000);
    }
    await collectSends(graph.child);
    console.log(`bench:compare: ${builds.map((b) => b.name).join(', ')}; ${machineLine()}`);
    const windows = new Map<string, Window[]>();
    for (let round = 0; round < ROUNDS; round++) {
      console.log(`round ${round + 1}`);
      for (let k = 0; k < builds.length; k++) {
        const build = builds[(k + round) % builds.length];
        for (const rate of RATES) {
          const key = `${build.name}@${rate}`;
          windows.set(key, [...(windows.get(key) ?? []), await measure(build, graph, rate)]);
        }
      }
    }
    printSummary(builds, windows);
  } finally {
    await stopAll(builds, graph.child, redis.child, process.env.BENCH_KEEP_DB === '1');
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
