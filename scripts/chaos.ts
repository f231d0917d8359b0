/**
 * npm run chaos — whatever dies, every delivery we acknowledged is answered exactly once.
 *
 * The built app runs as one `api` process and two `worker` processes under a supervisor, on a
 * Postgres cluster and a Redis of the suite's own; the fake Graph API (its own process) answers
 * 20% of sends with transient errors (HTTP 500 code 2 or 1, code 613) and every send to one PSID
 * in 250 with a permanent one (551). Signed referral deliveries are posted at CHAOS_RATE a second
 * (default 150) for CHAOS_SECONDS (default 150), each three times (Meta redelivers), while faults
 * take turns: SIGKILL a worker, SIGKILL the api, restart Postgres, kill Redis and start it empty,
 * pause Redis for 10 s, stall the Graph API for 20 s. Then it waits for the work to drain and
 * prints what became of every delivery; it exits 1 on any loss or duplicate.
 *
 * CHAOS_SHORT=1: one of each fault in about a minute at 40 deliveries a second (run by npm test).
 * CHAOS_APP=source runs the app from src/ through ts-node instead of dist/.
 * CHAOS_API_ROLE=all runs the webhook's process with the workers too (PROCESS_ROLE=all), so it
 * handles the items it stores in hand (no queue hop), and killing it kills items in hand.
 * CHAOS_KEEP=1: when a delivery is lost or sent twice, keeps what explains it (every process's
 * log, the rows and jobs of those deliveries, Redis's data, the Postgres cluster) in a folder it
 * prints (scripts/chaos-keep.ts); CHAOS_KEEP=all keeps it after a clean run too.
 */
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'undici';
import { AppProcess } from '../test/support/app-process';
import { freePort } from '../test/support/free-port';
import { PrivateRedis } from '../test/support/private-redis';
import { rmSync } from 'node:fs';
import { keepFolder, logWriter, writeEvidence } from './chaos-keep';
import { GraphProcess, PrivatePostgres, sleep, Supervisor } from './chaos-support';
import { type Delivery, type Fault, type Outcome, report } from './chaos-report';
import { signedDelivery, type SignedDelivery } from './signed-delivery';

const SHORT = process.env.CHAOS_SHORT === '1';
const RATE = Number(process.env.CHAOS_RATE ?? (SHORT ? 40 : 150));
const SECONDS = Number(process.env.CHAOS_SECONDS ?? (SHORT ? 75 : 150));
/** Seconds between the end of one fault and the start of the next. */
const FAULT_GAP_S = SHORT ? 4 : 12;
const WARMUP_S = SHORT ? 5 : 10;
const COPIES_AFTER_MS = [0, 1000, 4000];
const PAGES = 2;
const PERMANENT_EVERY = 250;
const ENTRY = process.env.CHAOS_APP === 'source' ? 'source' : 'dist';
const APP_SECRET = randomBytes(16).toString('hex');
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const FIRST_PSID = 10_000_000_000;
/** What a worker logs when it takes over a message whose run died mid-send, and what it found. */
const RESENT = 'sending it again';
const FOUND = 'the channel has it, recorded as sent';

const log = (line: string): void =>
  console.log(`[chaos ${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<number> {
  const postgres = new PrivatePostgres();
  const redis = new PrivateRedis();
  let graph: GraphProcess | undefined;
  let supervisor: Supervisor | undefined;
  const keep = keepFolder();
  redis.dir = keep;
  let outcome: Outcome | undefined;
  const cleanup = async (): Promise<void> => {
    await supervisor?.stop();
    graph?.stop();
    const keeping =
      keep !== undefined &&
      (process.env.CHAOS_KEEP === 'all' || outcome === undefined || outcome.suspects.length > 0);
    if (keeping) {
      await evidence(keep, outcome, postgres, redis).catch((error: Error) =>
        log(`CHAOS_KEEP: could not write the evidence: ${error.message}`),
      );
    }
    await redis.kill();
    if (keeping) {
      const restart = await postgres.keep();
      log(`CHAOS_KEEP: kept in ${keep} (evidence.json, <process>.log, dump.rdb)`);
      log(`CHAOS_KEEP: the Postgres cluster: ${restart}`);
    } else {
      await postgres.destroy();
      if (keep) rmSync(keep, { recursive: true, force: true });
    }
  };
  const onSignal = (): void => void cleanup().finally(() => process.exit(130));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await postgres.init();
    await postgres.start();
    await redis.start();
    graph = await GraphProcess.start();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      NODE_ENV: 'production',
      DATABASE_URL: `${postgres.url}/chaos`,
      REDIS_URL: redis.url,
      QUEUE_PREFIX: 'chaos',
      ADMIN_TOKEN,
      SECRETS_KEY: randomBytes(32).toString('hex'),
      MESSENGER_APP_SECRET: APP_SECRET,
      MESSENGER_VERIFY_TOKEN: 'chaos',
      MESSENGER_GRAPH_API_URL: graph.url,
      // The app's default (the one-hop send) unless MESSENGER_SEND_INLINE=false asks for the queue.
      ...(process.env.MESSENGER_SEND_INLINE !== undefined && {
        MESSENGER_SEND_INLINE: process.env.MESSENGER_SEND_INLINE,
      }),
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    const apiRole = process.env.CHAOS_API_ROLE === 'all' ? 'all' : 'api';
    const api = new AppProcess('api', { ...env, PROCESS_ROLE: apiRole, LOG_LEVEL: 'warn' }, ENTRY);
    const workers = [1, 2].map(
      (n) =>
        new AppProcess(`worker-${n}`, { ...env, PROCESS_ROLE: 'worker', LOG_LEVEL: 'info' }, ENTRY),
    );
    for (const worker of workers) [RESENT, FOUND].forEach((text) => worker.watch(text));
    if (keep) for (const app of [api, ...workers]) app.tee = logWriter(keep, app.name);
    // One process migrates the new database first; the others would wait on its lock anyway.
    api.start();
    await waitHealthy(base, 180_000);
    supervisor = new Supervisor([api, ...workers]);
    supervisor.start();
    await Promise.all(workers.map((worker) => worker.waitForLog('Queue workers started', 180_000)));
    const pages = await setUpPages(base);
    await graph.ask(
      { type: 'chaos', transientRate: 0.2, permanentEvery: PERMANENT_EVERY, seed: 20261206 },
      'chaos-on',
    );

    const deliveries: Delivery[] = [];
    const faults: Fault[] = [];
    log(`load: ${RATE} deliveries/s for ${SECONDS} s, each posted ${COPIES_AFTER_MS.length} times`);
    const load = postLoad(base, pages, deliveries);
    const chaos = runFaults(faults, { api, workers, postgres, redis, graph, base });
    await Promise.all([load, chaos.done]);
    log(`load over: ${deliveries.length} deliveries; waiting for the work to drain`);
    outcome = await report({
      deliveries,
      faults,
      graph,
      databaseUrl: `${postgres.url}/chaos`,
      permanentFor: (psid) => BigInt(psid) % BigInt(PERMANENT_EVERY) === 0n,
      log,
    });
    log(`the supervisor restarted processes ${supervisor.restarts} time(s)`);
    const count = (text: string): number =>
      workers.reduce((sum, worker) => sum + (worker.counts.get(text) ?? 0), 0);
    log(
      `messages whose run died mid-send: ${count(FOUND)} found delivered (Conversations API), ` +
        `${count(RESENT)} sent again (not delivered, or unknown)`,
    );
    if (process.env.CHAOS_VERBOSE === '1')
      for (const worker of workers)
        for (const line of worker.matches) log(`${worker.name}: ${line}`);
    return outcome.lost > 0 || outcome.duplicated > 0 ? 1 : 0;
  } finally {
    await cleanup();
  }
}

/** CHAOS_KEEP: the suspects' rows, jobs and log lines, and Redis's data, into `folder`. */
async function evidence(
  folder: string,
  outcome: Outcome | undefined,
  postgres: PrivatePostgres,
  redis: PrivateRedis,
): Promise<void> {
  if (!outcome || outcome.suspects.length === 0) return;
  const file = await writeEvidence({
    folder,
    databaseUrl: `${postgres.url}/chaos`,
    redisUrl: redis.url,
    prefix: 'chaos',
    psids: outcome.suspects,
    logs: ['api', 'worker-1', 'worker-2'],
  });
  log(`CHAOS_KEEP: ${outcome.suspects.length} suspect deliveries written to ${file}`);
  for (const { psid, why } of outcome.suspects.slice(0, 10)) log(`  ${psid}: ${why}`);
}

async function waitHealthy(base: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await fetch(`${base}/health`)
      .then((response) => response.ok)
      .catch(() => false);
    if (ok) return;
    await sleep(250);
  }
  throw new Error(`the api did not become healthy within ${timeoutMs} ms`);
}

async function admin(base: string, method: string, path: string, body: unknown): Promise<any> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status}`);
  return response.json();
}

async function setUpPages(base: string): Promise<string[]> {
  const pages: string[] = [];
  for (let i = 0; i < PAGES; i++) {
    const bot = await admin(base, 'POST', '/api/v1/bots', { name: `Chaos bot ${i}` });
    const pageId = String(300_000_000_000 + i);
    await admin(base, 'PUT', `/api/v1/bots/${bot.id}/channels/messenger`, {
      pageId,
      pageAccessToken: `EAAchaos${randomBytes(12).toString('hex')}`,
    });
    await admin(base, 'POST', `/api/v1/bots/${bot.id}/referrals`, {
      trackingParam: 'chaos',
      answerType: 'message',
      content: { messages: [{ type: 'text', text: 'Welcome, whatever happens.' }] },
      segmentName: 'Chaos',
    });
    pages.push(pageId);
  }
  return pages;
}

function signed(pageId: string, psid: string): SignedDelivery {
  return signedDelivery(APP_SECRET, pageId, psid, 'chaos');
}

/** Posts RATE new deliveries a second for SECONDS, each delivery three times. */
async function postLoad(base: string, pages: string[], deliveries: Delivery[]): Promise<void> {
  const agent = new Agent({ connections: 128, headersTimeout: 10_000, bodyTimeout: 10_000 });
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const total = RATE * SECONDS;
  const copies: { at: number; delivery: Delivery; payload: SignedDelivery }[] = [];
  let next = 0;
  const post = (delivery: Delivery, payload: SignedDelivery): void => {
    delivery.posts++;
    const done = request(`${base}/webhooks/messenger`, {
      method: 'POST',
      headers: payload.headers,
      body: payload.body,
      dispatcher: agent,
    })
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode === 200) delivery.ackAt ??= Date.now();
      })
      .catch(() => undefined)
      .finally(() => inFlight.delete(done));
    inFlight.add(done);
  };
  let lastProgress = started;
  while (next < total || copies.length > 0) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - started) / 1000) * RATE) + 1);
    for (; next < due; next++) {
      const psid = String(FIRST_PSID + next);
      const payload = signed(pages[next % pages.length], psid);
      const delivery: Delivery = { psid, postedAt: now, posts: 0 };
      deliveries.push(delivery);
      for (const after of COPIES_AFTER_MS) copies.push({ at: now + after, delivery, payload });
    }
    copies.sort((a, b) => a.at - b.at);
    while (copies.length > 0 && copies[0].at <= now) {
      const copy = copies.shift()!;
      post(copy.delivery, copy.payload);
    }
    if (now - lastProgress >= 10_000) {
      lastProgress = now;
      const acked = deliveries.filter((delivery) => delivery.ackAt !== undefined).length;
      log(`posted ${deliveries.length} deliveries, ${acked} acknowledged`);
    }
    await sleep(5);
  }
  await Promise.all(inFlight);
  await agent.close();
}

interface Targets {
  api: AppProcess;
  workers: AppProcess[];
  postgres: PrivatePostgres;
  redis: PrivateRedis;
  graph: GraphProcess;
  base: string;
}

/** The faults in turns, from WARMUP_S until the load is over (SHORT: each once). */
function runFaults(faults: Fault[], targets: Targets): { done: Promise<void> } {
  const { api, workers, postgres, redis, graph, base } = targets;
  const kinds: [string, () => Promise<void>][] = [
    [
      'SIGKILL worker',
      async () => {
        const worker = workers[faults.length % workers.length];
        const from = worker.lines.length;
        await worker.kill('SIGKILL');
        // The supervisor starts it again.
        while (!worker.running) await sleep(100);
        await worker.waitForLog('Queue workers started', 180_000, from);
      },
    ],
    [
      'SIGKILL api',
      async () => {
        await api.kill('SIGKILL');
        await sleep(1000);
        await waitHealthy(base, 180_000);
      },
    ],
    ['restart Postgres', () => postgres.restart()],
    [
      'Redis killed, started empty',
      async () => {
        await redis.kill();
        await sleep(3000);
        await redis.start();
      },
    ],
    [
      'Redis paused 10 s',
      async () => {
        redis.pause();
        await sleep(10_000);
        redis.resume();
      },
    ],
    [
      'Graph API stalled 20 s',
      async () => {
        graph.pause();
        await sleep(20_000);
        graph.resume();
      },
    ],
  ];
  const loadEnds = Date.now() + SECONDS * 1000;
  const done = (async () => {
    await sleep(WARMUP_S * 1000);
    for (let turn = 0; ; turn++) {
      if (SHORT ? turn >= kinds.length : Date.now() > loadEnds - 5000) break;
      const [name, inject] = kinds[turn % kinds.length];
      const fault: Fault = { name, start: Date.now(), end: Date.now() };
      log(`fault: ${name}`);
      await inject();
      fault.end = Date.now();
      faults.push(fault);
      log(`fault over after ${((fault.end - fault.start) / 1000).toFixed(1)} s: ${name}`);
      await sleep(FAULT_GAP_S * 1000);
    }
  })();
  return { done };
}

main()
  .then((code) => process.exit(code))
  .catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
