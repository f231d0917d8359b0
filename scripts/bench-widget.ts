/**
 * npm run bench:widget — the widget channel under load on this machine.
 *
 * The app runs as one process (PROCESS_ROLE=all, built from dist/) against the local Postgres and
 * Redis. The bench opens 1,000 visitor sessions (BENCH_SESSIONS), each with its Server-Sent Events
 * stream held open, waits for every welcome to arrive on its stream, then sends referrals into the
 * sessions at 100/s (BENCH_RATE) for 20 s (BENCH_SECONDS), after 5 s of warm-up at that rate.
 * Prints referral-to-message-on-the-stream p50/p95/p99 (the Chat API call sent -> the answer's
 * event read from that session's stream), how many welcomes and answers arrived or were lost (and
 * any message read twice), and the app process's RSS (now and peak, from /proc).
 * BENCH_CPU_PROF=<dir> makes the app write a CPU profile (--cpu-prof) there.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { benchQueuePrefix, builtAppEnv, dropBenchState, sleep, summarise } from './bench-support';

const ROOT = join(__dirname, '..');
const ADMIN_TOKEN = randomBytes(24).toString('hex');
const PORT = 3990 + Math.floor(Math.random() * 9);
const BASE = `http://127.0.0.1:${PORT}`;
const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const RATE = Number(process.env.BENCH_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const WARMUP_SECONDS = 5;
const agent = new Agent({ connections: null, pipelining: 0, keepAliveTimeout: 60_000 });

async function call(
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<any> {
  const response = await request(`${BASE}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${ADMIN_TOKEN}`,
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.body.text();
  if (response.statusCode >= 300)
    throw new Error(`${method} ${path}: ${response.statusCode} ${text}`);
  return text ? JSON.parse(text) : null;
}

function rssMb(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const read = (field: string): number =>
    Math.round(Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) / 1024);
  return { now: read('VmRSS'), peak: read('VmHWM') };
}

/** One visitor: its token, its open stream, and the referrals waiting for their answer. */
interface Visitor {
  token: string;
  received: number;
  /** Message ids read on the stream: one read twice is a duplicate. */
  ids: Set<string>;
  duplicates: number;
  /** Referrals sent and not answered yet: when, and whether sent while measuring. */
  waiting: { at: number; measured: boolean }[];
}

async function openStream(
  widgetKey: string,
  visitor: Visitor,
  onAnswer: (ms: number) => void,
): Promise<void> {
  const response = await request(`${BASE}/api/v1/widget/${widgetKey}/stream`, {
    dispatcher: agent,
    headers: { 'x-widget-session': visitor.token },
  });
  if (response.statusCode !== 200) throw new Error(`stream: ${response.statusCode}`);
  let buffer = '';
  response.body.setEncoding('utf8');
  response.body.on('data', (chunk: string) => {
    buffer += chunk;
    let end = buffer.indexOf('\n\n');
    while (end >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      if (block.includes('event: message')) {
        const id = /^id: (\d+)$/m.exec(block)?.[1] ?? '';
        if (visitor.ids.has(id)) {
          visitor.duplicates += 1;
          end = buffer.indexOf('\n\n');
          continue;
        }
        visitor.ids.add(id);
        visitor.received += 1;
        if (block.includes('Bench answer')) {
          const sent = visitor.waiting.shift();
          if (sent?.measured) onAnswer(performance.now() - sent.at);
        }
      }
      end = buffer.indexOf('\n\n');
    }
  });
  response.body.on('error', () => undefined);
}

async function inBatches<T>(
  items: T[],
  size: number,
  run: (item: T) => Promise<void>,
): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

async function main(): Promise<void> {
  const databaseName = `bp_bench_widget_${process.pid}`;
  const queuePrefix = benchQueuePrefix();
  // BENCH_CPU_PROF=<dir>: the app writes a V8 CPU profile there when it exits (where the time goes).
  const profile = process.env.BENCH_CPU_PROF
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
    : [];
  const app = spawn(process.execPath, [...profile, join(ROOT, 'dist', 'main.js')], {
    env: builtAppEnv(
      { port: PORT, databaseName, queuePrefix, adminToken: ADMIN_TOKEN },
      {
        LOG_LEVEL: 'warn',
        PROCESS_ROLE: 'all',
        WIDGET_RATE_PER_IP_PER_MINUTE: '1000000',
        WIDGET_RATE_PER_SESSION_PER_MINUTE: '1000000',
      },
    ),
    stdio: ['ignore', 'ignore', 'inherit'],
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
    const bot = await call('POST', '/api/v1/bots', { name: 'Widget bench' });
    const widgetKey: string = bot.channels.widget.widgetKey;
    await call('POST', `/api/v1/bots/${bot.id}/referrals`, {
      trackingParam: 'bench',
      answerType: 'message',
      content: { messages: [{ type: 'text', text: 'Bench answer for {{contact.firstName|you}}' }] },
      segmentName: 'Bench visitors',
    });
    const latencies: number[] = [];
    let measuring = false;
    const visitors: Visitor[] = [];
    const opening = Date.now();
    console.log(`app up; opening ${SESSIONS} sessions and their streams`);
    await inBatches(
      Array.from({ length: SESSIONS }, (_, i) => i),
      50,
      async () => {
        const session = await call('POST', `/api/v1/widget/${widgetKey}/sessions`, {});
        const visitor: Visitor = {
          token: session.token,
          received: 0,
          ids: new Set(),
          duplicates: 0,
          waiting: [],
        };
        visitors.push(visitor);
        await openStream(widgetKey, visitor, (ms) => latencies.push(ms));
      },
    );
    // Bounded: a bench never hangs silently; it says how far it got.
    const welcomeDeadline = Date.now() + 120_000;
    let welcomed = 0;
    for (;;) {
      welcomed = visitors.filter((v) => v.received >= 1).length;
      if (welcomed === SESSIONS || Date.now() > welcomeDeadline) break;
      await sleep(200);
    }
    console.log(
      `sessions:    ${SESSIONS} open SSE streams (${Math.round((Date.now() - opening) / 1000)} s to open); welcomes arrived ${welcomed}, lost ${SESSIONS - welcomed} (waited up to 120 s)`,
    );
    console.log(`rss after open: ${JSON.stringify(rssMb(app.pid!))} MB`);
    let sent = 0;
    const send = async (): Promise<void> => {
      const visitor = visitors[sent % SESSIONS];
      sent += 1;
      visitor.waiting.push({ at: performance.now(), measured: measuring });
      await call(
        'POST',
        `/api/v1/widget/${widgetKey}/referral`,
        { ref: 'bench', pageUrl: 'https://shop.example/bench' },
        { 'x-widget-session': visitor.token },
      );
    };
    const pace = async (seconds: number): Promise<void> => {
      const start = performance.now();
      const total = seconds * RATE;
      const inFlight: Promise<void>[] = [];
      for (let k = 0; k < total; k++) {
        const due = start + (k * 1000) / RATE;
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        inFlight.push(send());
      }
      await Promise.all(inFlight);
    };
    await pace(WARMUP_SECONDS);
    measuring = true;
    const target = SECONDS * RATE;
    await pace(SECONDS);
    const deadline = Date.now() + 60_000;
    while (latencies.length < target && Date.now() < deadline) await sleep(100);
    const stats = summarise(latencies);
    const rss = rssMb(app.pid!);
    const duplicates = visitors.reduce((sum, v) => sum + v.duplicates, 0);
    console.log(
      `referrals:   ${target} at ${RATE}/s over ${SECONDS} s: answers arrived ${latencies.length}, lost ${target - latencies.length} (waited up to 60 s); messages read twice ${duplicates}`,
    );
    console.log(
      `latency:     referral -> message on the stream p50 ${stats.p50} ms, p95 ${stats.p95} ms, p99 ${stats.p99} ms, max ${stats.max} ms (target p99 < 300 ms)`,
    );
    console.log(`load:        ${readFileSync('/proc/loadavg', 'utf8').trim()} (/proc/loadavg)`);
    console.log(
      `rss:         app process now ${rss.now} MB, peak ${rss.peak} MB (target < 400 MB)`,
    );
  } finally {
    await agent.destroy().catch(() => undefined);
    app.kill('SIGTERM');
    await new Promise((resolve) => app.once('exit', resolve));
    await dropBenchState(databaseName, queuePrefix);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
