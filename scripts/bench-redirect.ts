/**
 * npm run bench:redirect — tracked-link redirects at 1,000 clicks/s on this machine.
 *
 * The app runs as one process built from dist/ (PROCESS_ROLE=all, LOG_LEVEL=info as in
 * production) on a database of its own; this process follows `/r/{botId}/{trackingParam}` at
 * 1,000 requests/s (BENCH_RATE), evenly spaced and open loop (see paced()), over up to 50
 * connections with browser User-Agents that differ per click, so every click is a human, mostly
 * unique one: a 302, a buffered click, a batch insert with first-seen clickers and rollups. Five
 * seconds of warm-up, then 20 s measured (BENCH_SECONDS): latency p50/p95/p99/max, and whether
 * every click was written. Over the measured window it also prints the app's event-loop delay and
 * GC pauses (scripts/bench-probe.ts, preloaded into the app), the CPU per click of the app,
 * Postgres and Redis (CpuMeter) and the load average. BENCH_NODE_ARGS passes flags to the app's
 * node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import ts from 'typescript';
import { Pool as UndiciPool } from 'undici';
import {
  adminApi,
  benchQueuePrefix,
  builtAppEnv,
  CpuMeter,
  dropBenchState,
  PG_URL,
  sleep,
  summarise,
} from './bench-support';
import { type ProbeReport } from './bench-probe';

const ROOT = join(__dirname, '..');
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const PORT = 3800 + Math.floor(Math.random() * 90);
const BASE = `http://127.0.0.1:${PORT}`;
const api = adminApi(BASE, ADMIN_TOKEN);
const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = 5;
const CONNECTIONS = 50;
const BROWSER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

/** What a paced run saw: latencies in ms, answers by status, transport errors. */
interface PacedResult {
  sent: number;
  latencies: number[];
  statuses: Map<number, number>;
  errors: number;
}

/**
 * Sends GET `path` at RATE requests a second, evenly spaced (one every 1000/RATE ms, open loop:
 * a slow answer does not delay the next request), for `seconds`, over up to CONNECTIONS
 * keep-alive connections. Each latency runs from the request's scheduled time to the end of its
 * answer, so a stall of the app or of this process counts in full for every request it delays
 * (no coordinated omission). autocannon's `overallRate` sends each connection's share of a second
 * back to back at the top of every second instead (1,000 requests in a burst, 50 in flight), and
 * corrects latencies with a 1 ms expected interval: neither is 1,000 clicks a second.
 */
async function paced(path: string, seconds: number, userAgent: () => string): Promise<PacedResult> {
  const pool = new UndiciPool(BASE, { connections: CONNECTIONS, pipelining: 1 });
  const result: PacedResult = { sent: 0, latencies: [], statuses: new Map(), errors: 0 };
  const total = RATE * seconds;
  const pending: Promise<void>[] = [];
  const start = performance.now();
  const send = (scheduled: number): Promise<void> =>
    pool.request({ method: 'GET', path, headers: { 'user-agent': userAgent() } }).then(
      async (response) => {
        await response.body.dump();
        result.latencies.push(performance.now() - scheduled);
        result.statuses.set(
          response.statusCode,
          (result.statuses.get(response.statusCode) ?? 0) + 1,
        );
      },
      () => {
        result.errors += 1;
      },
    );
  while (result.sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - start) * RATE) / 1000) + 1);
    for (; result.sent < due; result.sent++)
      pending.push(send(start + (result.sent * 1000) / RATE));
    await sleep(1);
  }
  await Promise.all(pending);
  await pool.close();
  return result;
}

async function clicksWritten(databaseName: string): Promise<number> {
  const client = new Client({ connectionString: `${PG_URL}/${databaseName}` });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM referral_clicks`);
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/**
 * scripts/bench-probe.ts as JavaScript in a temporary file: preloading it through ts-node would
 * load the TypeScript compiler into the app and grow the heap its GC pauses are measured on.
 */
const PROBE_JS = join(tmpdir(), `bench-probe-${process.pid}.js`);

function compiledProbe(): string {
  const source = readFileSync(join(__dirname, 'bench-probe.ts'), 'utf8');
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  writeFileSync(PROBE_JS, outputText);
  return PROBE_JS;
}

/** Ends the probe's window in the app (scripts/bench-probe.ts) and returns what it saw. */
function probeReport(app: ChildProcess): Promise<ProbeReport> {
  return new Promise((resolve) => {
    const listener = (message: { probeReport?: ProbeReport }): void => {
      if (!message.probeReport) return;
      app.off('message', listener);
      resolve(message.probeReport);
    };
    app.on('message', listener);
    app.send({ probe: 'end' });
  });
}

async function main(): Promise<void> {
  const databaseName = `bp_bench_redirect_${process.pid}`;
  const queuePrefix = benchQueuePrefix();
  let app: ChildProcess | undefined;
  const cleanUp = async (): Promise<void> => {
    if (app && app.exitCode === null) {
      app.kill('SIGTERM');
      await new Promise((resolve) => app!.once('exit', resolve));
    }
    rmSync(PROBE_JS, { force: true });
    await dropBenchState(databaseName, queuePrefix);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanUp().finally(() => process.exit(130)));
  }
  try {
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const probe = ['-r', compiledProbe()];
    app = spawn(process.execPath, [...nodeArgs, ...probe, join(ROOT, 'dist', 'main.js')], {
      env: builtAppEnv(
        { port: PORT, databaseName, queuePrefix, adminToken: ADMIN_TOKEN },
        {
          LOG_LEVEL: 'info',
        },
      ),
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    for (let i = 0; ; i++) {
      if (i > 120) throw new Error('the app did not start');
      const healthy = await fetch(`${BASE}/health`)
        .then((r) => r.ok)
        .catch(() => false);
      if (healthy) break;
      await sleep(500);
    }
    const bot = await api('POST', '/api/v1/bots', { name: 'Redirect bench' });
    await api('PUT', `/api/v1/bots/${bot.id}/channels/messenger`, {
      pageId: '300000000001',
      pageUsername: 'bench.page',
      pageAccessToken: `EAAbench${randomBytes(12).toString('hex')}`,
    });
    await api('POST', `/api/v1/bots/${bot.id}/referrals`, {
      trackingParam: 'bench-campaign',
      answerType: 'message',
      content: { messages: [{ type: 'text', text: 'Hello' }] },
      segmentName: 'Bench',
    });
    let counter = 0;
    const path = `/r/${bot.id}/bench-campaign`;
    const userAgent = (): string => `${BROWSER} b${counter++ % 50_000}`;
    const warm = await paced(path, WARMUP_SECONDS, userAgent);
    const meter = new CpuMeter(app.pid!, [process.pid], databaseName);
    const load = loadavg();
    app.send({ probe: 'begin' });
    meter.begin();
    const result = await paced(path, SECONDS, userAgent);
    const cpu = await meter.end(result.sent);
    const probed = await probeReport(app);
    const sent = warm.sent + result.sent;
    let written = 0;
    for (let i = 0; i < 60 && written < sent; i++) {
      written = await clicksWritten(databaseName);
      if (written < sent) await sleep(500);
    }
    const latency = summarise(result.latencies);
    const others = [...result.statuses].filter(([status]) => status !== 302);
    console.log(
      `GET /r/{botId}/{trackingParam} at ${RATE}/s, evenly spaced, for ${SECONDS} s (after ${WARMUP_SECONDS} s of warm-up), up to ${CONNECTIONS} connections`,
    );
    console.log(
      `  requests ${result.sent} (${(result.sent / SECONDS).toFixed(0)}/s), 302: ${result.statuses.get(302) ?? 0}, errors ${result.errors}, other statuses ${JSON.stringify(Object.fromEntries(others))}`,
    );
    console.log(
      `  latency ms (from each request's scheduled time): p50 ${latency.p50}  p95 ${latency.p95}  p99 ${latency.p99}  max ${latency.max}`,
    );
    console.log(`  clicks written ${written} of ${sent} sent (warm-up included)`);
    console.log(
      `  app event-loop delay ms: p50 ${probed.eventLoopDelay.p50}  p99 ${probed.eventLoopDelay.p99}  max ${probed.eventLoopDelay.max}`,
    );
    const gc = Object.entries(probed.gc).map(
      ([kind, g]) =>
        `${kind} ${g.count}× (total ${g.totalMs.toFixed(0)} ms, max ${g.maxMs.toFixed(1)} ms)`,
    );
    console.log(`  app GC pauses: ${gc.join(', ') || 'none'}`);
    console.log(`  ${cpu}`);
    const end = loadavg();
    console.log(
      `  load average (1/5/15 min) at start ${load.map((n) => n.toFixed(2)).join(' ')}, at end ${end.map((n) => n.toFixed(2)).join(' ')}`,
    );
  } finally {
    await cleanUp();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
