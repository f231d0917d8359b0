/**
 * npm run bench:webhook — the Messenger path under load on this machine.
 *
 * The app runs as one process (PROCESS_ROLE=all: HTTP and queue workers together, built from
 * dist/, LOG_LEVEL=info as in production) against the local Postgres and Redis; a fake Graph API
 * runs in a second process; autocannon posts signed referral webhooks (a new PSID per delivery, so
 * every delivery is a new contact with a profile lookup, an entry, a membership and a reply).
 *
 *  1. intake: as fast as 32 connections (BENCH_CONNECTIONS) can post, 15 s: requests/s and latency p50/p99;
 *     then waits until every delivery was answered.
 *  2. end to end: 300 deliveries/s for 20 s spread over 4 pages (Meta allows about 300 sends/s
 *     per page): webhook posted -> Send API call, p50/p99; then the same at a steady 150/s
 *     (BENCH_STEADY_RATE), a rate this machine's processing keeps up with.
 * Peak RSS of the app process is read from /proc (VmHWM). BENCH_ROLE=api runs the intake phase
 * against an HTTP-only process (PROCESS_ROLE=api), to see intake without workers sharing its CPU.
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import { Agent, request } from 'undici';
import {
  adminApi,
  benchQueuePrefix,
  builtAppEnv,
  CpuMeter,
  dropBenchState,
  PG_URL,
  sleep,
  startGraph,
  summarise,
} from './bench-support';
import { signedDelivery as signed, type SignedDelivery } from './signed-delivery';

const ROOT = join(__dirname, '..');
const APP_SECRET = randomBytes(16).toString('hex');
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const PORT = 3900 + Math.floor(Math.random() * 90);
const BASE = `http://127.0.0.1:${PORT}`;
const api = adminApi(BASE, ADMIN_TOKEN);
const PAGES = 4;
/** A rate this machine sustains (see the capacity the intake phase's drain shows), for a latency at steady state. */
const SUSTAINABLE_RATE = Number(process.env.BENCH_STEADY_RATE ?? 150);
/** BENCH_ROLE=api measures intake alone: no workers, so no answers to wait for. */
const INTAKE_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Seconds of each paced phase's load sent before measuring, at the same rate. */
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 10);
const ROLE = process.env.BENCH_ROLE === 'api' ? 'api' : 'all';
const PHASES = new Set(
  (ROLE === 'api' ? 'intake' : (process.env.BENCH_PHASES ?? 'intake,e2e,steady')).split(','),
);

interface Collected {
  arrivals: [string, number][];
}

/** Asks the fake Graph API process something and waits for its answer of `replyType`. */
function ask<T>(graph: ChildProcess, type: 'collect' | 'count', replyType: string): Promise<T> {
  return new Promise((resolve) => {
    const onMessage = (message: { type: string }): void => {
      if (message.type !== replyType) return;
      graph.off('message', onMessage);
      resolve(message as T);
    };
    graph.on('message', onMessage);
    graph.send({ type });
  });
}

function collect(graph: ChildProcess): Promise<Collected> {
  return ask<Collected>(graph, 'collect', 'collected');
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? NaN);
  return Math.round(kb / 1024);
}

/** A signed Get Started delivery with a ref, from a PSID never seen before. */
function signedDelivery(pageId: string, psid: string): SignedDelivery {
  return signed(APP_SECRET, pageId, psid, 'bench-campaign');
}

/**
 * Waits until the fake Graph API has received `expected` sends in all (asked over IPC: polling the
 * app's database would add load to the very thing being measured).
 */
async function waitForAnswers(
  graph: ChildProcess,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { total } = await ask<{ total: number }>(graph, 'count', 'count');
    if (total >= expected) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`only ${total} of ${expected} answered`);
    await sleep(100);
  }
}

/** The paced load's keep-alive pool: far cheaper per request than `fetch`, so the load generator
 * leaves the CPU it shares with the app to the app. */
const loadAgent = new Agent({ connections: 64 });

interface Paced {
  sent: number;
  rate: number;
  intakeLatencies: number[];
  failures: number;
}

/**
 * Posts deliveries at a steady `rate` for `seconds`, stamping each just before it is sent (a load
 * generator that builds requests ahead of time would stamp them too early).
 */
async function paced(
  rate: number,
  seconds: number,
  next: () => { psid: string; body: string; headers: Record<string, string> },
  postedAt: Map<string, number>,
): Promise<Paced> {
  const result: Paced = { sent: 0, rate: 0, intakeLatencies: [], failures: 0 };
  const started = Date.now();
  const inFlight: Promise<void>[] = [];
  const total = rate * seconds;
  while (result.sent < total) {
    const due = Math.min(total, Math.floor(((Date.now() - started) / 1000) * rate) + 1);
    while (result.sent < due) {
      const delivery = next();
      result.sent++;
      const sentAt = Date.now();
      postedAt.set(delivery.psid, sentAt);
      inFlight.push(
        request(`${BASE}/webhooks/messenger`, {
          method: 'POST',
          headers: delivery.headers,
          body: delivery.body,
          dispatcher: loadAgent,
        })
          .then(async (response) => {
            await response.body.dump();
            if (response.statusCode !== 200) result.failures++;
            result.intakeLatencies.push(Date.now() - sentAt);
          })
          .catch(() => {
            result.failures++;
          }),
      );
    }
    await sleep(2);
  }
  await Promise.all(inFlight);
  result.rate = Math.round(result.sent / ((Date.now() - started) / 1000));
  return result;
}

/**
 * Vacuums and analyzes the bench database between phases, so that the cleanup a phase leaves
 * behind (autovacuum over the rows it wrote) does not land in the next phase's figures.
 */
async function settleDatabase(databaseName: string): Promise<void> {
  const client = new Client({ connectionString: `${PG_URL}/${databaseName}` });
  await client.connect();
  try {
    await client.query('VACUUM (ANALYZE)');
  } finally {
    await client.end();
  }
}

function printTimeline(arrivals: [string, number][], postedAt: Map<string, number>): void {
  const bySecond = new Map<number, number[]>();
  const first = Math.min(...postedAt.values());
  for (const [psid, at] of arrivals) {
    const posted = postedAt.get(psid);
    if (posted === undefined) continue;
    const second = Math.floor((posted - first) / 1000);
    bySecond.set(second, [...(bySecond.get(second) ?? []), at - posted]);
  }
  for (const [second, values] of [...bySecond].sort((a, b) => a[0] - b[0])) {
    const stats = summarise(values);
    console.log(
      `  second ${second}: ${values.length} deliveries, p50 ${stats.p50} ms, max ${stats.max} ms`,
    );
  }
}

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error: Error | null, result) => (error ? reject(error) : resolve(result)));
  });
}

async function main(): Promise<void> {
  const databaseName = `bp_bench_webhook_${process.pid}`;
  const queuePrefix = benchQueuePrefix();
  const graph = await startGraph();
  // BENCH_NODE_ARGS: flags for the app's node, e.g. --cpu-prof to see where its time goes.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const app = spawn(process.execPath, [...nodeArgs, join(ROOT, 'dist', 'main.js')], {
    env: builtAppEnv(
      { port: PORT, databaseName, queuePrefix, adminToken: ADMIN_TOKEN },
      {
        MESSENGER_APP_SECRET: APP_SECRET,
        MESSENGER_VERIFY_TOKEN: 'bench',
        MESSENGER_GRAPH_API_URL: graph.url,
        LOG_LEVEL: 'info',
        PROCESS_ROLE: ROLE,
      },
    ),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  app.once('exit', (code) => {
    if (code !== 0 && code !== null) {
      console.error(`the app exited with code ${code}`);
      process.exit(1);
    }
  });
  try {
    for (let i = 0; ; i++) {
      if (i > 120) throw new Error('the app did not start');
      const healthy = await fetch(`${BASE}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (healthy) break;
      await sleep(500);
    }
    const pages: string[] = [];
    for (let i = 0; i < PAGES; i++) {
      const bot = await api('POST', '/api/v1/bots', { name: `Bench bot ${i}` });
      const pageId = String(200_000_000_000 + i);
      await api('PUT', `/api/v1/bots/${bot.id}/channels/messenger`, {
        pageId,
        pageAccessToken: `EAAbench${randomBytes(12).toString('hex')}`,
      });
      await api('POST', `/api/v1/bots/${bot.id}/referrals`, {
        trackingParam: 'bench-campaign',
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

    const meter = new CpuMeter(app.pid!, [process.pid, graph.child.pid!], databaseName);
    let counter = 0;
    const postedAt = new Map<string, number>();
    const setupRequest = (pageFor: (n: number) => string) => (request: any) => {
      const n = counter++;
      const signed = signedDelivery(pageFor(n), `9${String(n).padStart(12, '0')}`);
      return {
        ...request,
        method: 'POST',
        path: '/webhooks/messenger',
        body: signed.body,
        headers: signed.headers,
      };
    };

    const nextFor = (pageFor: (n: number) => string) => () => {
      const n = counter++;
      const psid = `9${String(n).padStart(12, '0')}`;
      return { psid, ...signedDelivery(pageFor(n), psid) };
    };

    // Warm-up: JIT, connection pools, prepared plans.
    await run({
      url: BASE,
      connections: 8,
      amount: 300,
      requests: [{ setupRequest: setupRequest(() => pages[0]) }],
    });
    if (ROLE === 'all') await waitForAnswers(graph.child, 300, 60_000);
    await collect(graph.child);
    postedAt.clear();

    console.log(
      `bench:webhook (signed single-item referral deliveries; app in one process, PROCESS_ROLE=${ROLE})`,
    );
    if (PHASES.has('intake')) await intakePhase();
    for (const rate of [300, SUSTAINABLE_RATE]) {
      if (!PHASES.has(rate === 300 ? 'e2e' : 'steady')) continue;
      await settleDatabase(databaseName);
      // The same load first, unmeasured, so pools, plans and JIT are warm; then its backlog drains.
      await paced(
        rate,
        WARMUP_SECONDS,
        nextFor((n) => pages[n % PAGES]),
        postedAt,
      );
      await waitForAnswers(graph.child, counter, 300_000);
      await collect(graph.child);
      postedAt.clear();
      meter.begin();
      const load = await paced(
        rate,
        20,
        nextFor((n) => pages[n % PAGES]),
        postedAt,
      );
      await waitForAnswers(graph.child, counter, 300_000);
      const { arrivals } = await collect(graph.child);
      const latencies = arrivals
        .filter(([psid]) => postedAt.has(psid))
        .map(([psid, at]) => at - postedAt.get(psid)!);
      const e2e = summarise(latencies);
      // BENCH_TIMELINE=1: second by second, to see where the slow deliveries sit in the run.
      if (process.env.BENCH_TIMELINE === '1') printTimeline(arrivals, postedAt);
      const intakeStats = summarise(load.intakeLatencies);
      console.log(
        `end to end:  ${latencies.length} deliveries at ${load.rate}/s over ${PAGES} pages, after ${WARMUP_SECONDS} s of warm-up at that rate (${load.failures} not 200): ` +
          `webhook -> Send API p50 ${e2e.p50} ms, p99 ${e2e.p99} ms (intake p50 ${intakeStats.p50} ms, p99 ${intakeStats.p99} ms)`,
      );
      console.log(`             ${await meter.end(load.sent, 'delivery')}`);
    }
    console.log(`memory:      peak RSS of the app process ${peakRssMb(app.pid!)} MB`);

    async function intakePhase(): Promise<void> {
      meter.begin();
      const before = counter;
      const intake = await run({
        url: BASE,
        connections: INTAKE_CONNECTIONS,
        duration: 15,
        requests: [{ setupRequest: setupRequest(() => pages[0]) }],
      });
      const delivered = counter;
      const non2xx = intake.non2xx + intake.errors + intake.timeouts;
      console.log(
        `intake:      ${Math.round(intake.requests.average)} requests/s over 15 s (${intake.requests.total} sent, ${non2xx} not 200), ` +
          `latency p50 ${intake.latency.p50} ms, p99 ${intake.latency.p99} ms`,
      );
      if (ROLE === 'api') return;
      const drainMs = await waitForAnswers(graph.child, delivered, 300_000);
      console.log(
        `             all ${delivered} deliveries so far answered; the backlog drained ${Math.round(drainMs / 1000)} s after the load stopped`,
      );
      console.log(`             ${await meter.end(delivered - before, 'delivery')}`);
      await collect(graph.child);
      postedAt.clear();
    }
  } finally {
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
    graph.child.send({ type: 'stop' });
    // BENCH_KEEP_DB=1 leaves the database and the jobs for a look at the timings they recorded.
    if (process.env.BENCH_KEEP_DB === '1')
      console.log(`kept: database ${databaseName}, queue prefix ${queuePrefix}`);
    else await dropBenchState(databaseName, queuePrefix);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
