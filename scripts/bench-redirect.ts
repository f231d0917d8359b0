/**
 * npm run bench:redirect — tracked-link redirects at 1,000 clicks/s on this machine.
 *
 * The app runs as one process built from dist/ (PROCESS_ROLE=all, LOG_LEVEL=info as in
 * production) on a database of its own; autocannon, in this process, follows
 * `/r/{botId}/{trackingParam}` at a paced 1,000 requests/s (BENCH_RATE) over 50 connections with
 * browser User-Agents that differ per click, so every click is a human, mostly unique one: a
 * 302, a buffered click, a batch insert with first-seen clickers and rollups. Five seconds of
 * warm-up, then 20 s measured (BENCH_SECONDS): latency p50/p99 from autocannon, and whether
 * every click was written. Over the measured window it also prints the app's event-loop delay and
 * GC pauses (scripts/bench-probe.ts, preloaded into the app), the CPU per click of the app,
 * Postgres and Redis (CpuMeter) and the load average. BENCH_NODE_ARGS passes flags to the app's
 * node, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof` to see where its time goes.
 */
import autocannon from 'autocannon';
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import ts from 'typescript';
import {
  adminApi,
  benchQueuePrefix,
  builtAppEnv,
  CpuMeter,
  dropBenchState,
  PG_URL,
  sleep,
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
const BROWSER =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

function run(options: autocannon.Options): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon(options, (error: Error | null, result) => (error ? reject(error) : resolve(result)));
  });
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
    const options = (seconds: number): autocannon.Options => ({
      url: BASE,
      connections: 50,
      overallRate: RATE,
      duration: seconds,
      requests: [
        {
          method: 'GET',
          path: `/r/${bot.id}/bench-campaign`,
          setupRequest: (request: any) => ({
            ...request,
            headers: { ...request.headers, 'user-agent': `${BROWSER} b${counter++ % 50_000}` },
          }),
        },
      ],
    });
    const warm = await run(options(WARMUP_SECONDS));
    const meter = new CpuMeter(app.pid!, [process.pid], databaseName);
    const load = loadavg();
    app.send({ probe: 'begin' });
    meter.begin();
    const result = await run(options(SECONDS));
    const cpu = await meter.end(result.requests.total);
    const probed = await probeReport(app);
    const sent = warm.requests.total + result.requests.total;
    let written = 0;
    for (let i = 0; i < 60 && written < sent; i++) {
      written = await clicksWritten(databaseName);
      if (written < sent) await sleep(500);
    }
    const redirects = result['3xx'];
    console.log(
      `GET /r/{botId}/{trackingParam} at ${RATE}/s for ${SECONDS} s (after ${WARMUP_SECONDS} s of warm-up), 50 connections`,
    );
    console.log(
      `  requests ${result.requests.total} (${(result.requests.total / SECONDS).toFixed(0)}/s), 302: ${redirects}, errors ${result.errors}, non-2xx/3xx ${result.non2xx - redirects}`,
    );
    console.log(
      `  latency ms: p50 ${result.latency.p50}  p90 ${result.latency.p90}  p99 ${result.latency.p99}  max ${result.latency.max}`,
    );
    // autocannon counts responses within each run's duration: up to 50 requests in flight at the
    // end of each run reach the app uncounted, so written may exceed the count by that much.
    console.log(
      `  clicks written ${written}; responses counted ${sent} (warm-up included, in-flight at each run's end not counted)`,
    );
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
