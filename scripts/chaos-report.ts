/** How the chaos suite tells what became of every delivery, once the work has drained. */
import { Client } from 'pg';
import { type GraphProcess, sleep } from './chaos-support';

export interface Delivery {
  psid: string;
  postedAt: number;
  /** When the first copy was answered 200: from then on the answer is owed. */
  ackAt?: number;
  posts: number;
}

export interface Fault {
  name: string;
  start: number;
  end: number;
}

export interface Outcome {
  lost: number;
  duplicated: number;
  /** Every PSID counted lost or duplicated, with what the suite saw (for CHAOS_KEEP). */
  suspects: { psid: string; why: string }[];
}

interface GraphReport {
  sends: Record<string, [count: number, firstAt: number, lastAt: number]>;
  failed: number;
}

/** An answer is late when it came more than this after its delivery and any fault before it. */
const LATE_AFTER_MS = 10_000;
/** The drain ends when nothing new was answered or recorded for this long. */
const DRAIN_IDLE_MS = 120_000;
/** Then this much longer, to see duplicates a late retry would still send. */
const DUPLICATE_WATCH_MS = 10_000;

/** PSIDs whose sends the database records as failed for good, with Meta's code. */
async function recordedFailures(databaseUrl: string): Promise<Map<string, number | null>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ psid: string; code: number | null }>(
      `SELECT k.external_id AS psid, m.error_code AS code
         FROM messages m
         JOIN conversations c ON c.id = m.conversation_id
         JOIN contacts k ON k.id = c.contact_id
        WHERE m.direction = 'out' AND m.status = 'failed'`,
    );
    return new Map(rows.map((row) => [row.psid, row.code]));
  } finally {
    await client.end();
  }
}

/** The outbound messages to `psid`, to explain a duplicate. */
async function messagesOf(databaseUrl: string, psid: string): Promise<unknown[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query(
      `SELECT m.id, m.status, m.attempts, m.error_message AS error, r.id AS reply
         FROM messages m
         JOIN replies r ON r.id = m.reply_id
         JOIN conversations c ON c.id = m.conversation_id
         JOIN contacts k ON k.id = c.contact_id
        WHERE k.external_id = $1 AND m.direction = 'out'`,
      [psid],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** Waits for the work to drain, then prints the figures. */
export async function report(options: {
  deliveries: Delivery[];
  faults: Fault[];
  graph: GraphProcess;
  databaseUrl: string;
  permanentFor: (psid: string) => boolean;
  log: (line: string) => void;
}): Promise<Outcome> {
  const { deliveries, faults, graph, databaseUrl, permanentFor, log } = options;
  const acked = deliveries.filter((delivery) => delivery.ackAt !== undefined);
  let sends: GraphReport = { sends: {}, failed: 0 };
  let failures = new Map<string, number | null>();
  const settled = (delivery: Delivery): boolean =>
    sends.sends[delivery.psid] !== undefined || failures.has(delivery.psid);
  let done = 0;
  let lastChange = Date.now();
  for (;;) {
    sends = await graph.ask<GraphReport>({ type: 'report' }, 'report');
    failures = await recordedFailures(databaseUrl).catch(() => failures);
    const now = acked.filter(settled).length;
    if (now !== done) lastChange = Date.now();
    done = now;
    if (done === acked.length || Date.now() - lastChange > DRAIN_IDLE_MS) break;
    await sleep(2000);
  }
  log(`drained: ${done} of ${acked.length} acknowledged deliveries settled`);
  await sleep(DUPLICATE_WATCH_MS);
  sends = await graph.ask<GraphReport>({ type: 'report' }, 'report');
  failures = await recordedFailures(databaseUrl).catch(() => failures);

  let once = 0;
  let late = 0;
  let lost = 0;
  let duplicated = 0;
  let permanent = 0;
  let unackedAnswered = 0;
  const lostExamples: string[] = [];
  const duplicateExamples: string[] = [];
  const suspects: Outcome['suspects'] = [];
  for (const delivery of deliveries) {
    const [count, firstAt] = sends.sends[delivery.psid] ?? [0, 0];
    const failedWith = failures.get(delivery.psid);
    if (count > 1) {
      suspects.push({ psid: delivery.psid, why: `sent ${count} times` });
      duplicated++;
      if (duplicateExamples.length < 5) duplicateExamples.push(delivery.psid);
    }
    if (delivery.ackAt === undefined) {
      if (count > 0) unackedAnswered++;
      continue;
    }
    if (failedWith !== undefined) {
      // A recipient Meta refuses for good: recorded, never sent (any send would be a defect).
      if (permanentFor(delivery.psid) && count === 0) permanent++;
      else if (lostExamples.length < 5) lostExamples.push(`${delivery.psid} failed ${failedWith}`);
      if (!permanentFor(delivery.psid)) {
        lost++;
        suspects.push({ psid: delivery.psid, why: `recorded as failed (${failedWith})` });
      }
      continue;
    }
    if (count === 0) {
      suspects.push({ psid: delivery.psid, why: 'acknowledged, never sent' });
      lost++;
      if (lostExamples.length < 5) lostExamples.push(delivery.psid);
      continue;
    }
    if (count === 1) once++;
    const owedFrom = Math.max(
      delivery.ackAt,
      ...faults.filter((fault) => fault.start <= firstAt).map((fault) => fault.end),
    );
    if (firstAt - owedFrom > LATE_AFTER_MS) late++;
  }
  const posts = deliveries.reduce((sum, delivery) => sum + delivery.posts, 0);
  console.log('');
  console.log('chaos: faults injected');
  for (const fault of faults)
    console.log(`  ${fault.name}: ${((fault.end - fault.start) / 1000).toFixed(1)} s`);
  console.log('chaos: figures');
  console.log(`  deliveries posted:              ${deliveries.length} (${posts} POSTs)`);
  console.log(`  acknowledged 200:               ${acked.length}`);
  console.log(`  answered exactly once:          ${once}`);
  console.log(`  answered late (> 10 s):         ${late}`);
  console.log(
    `  lost:                           ${lost}${lostExamples.length ? ` (${lostExamples.join(', ')})` : ''}`,
  );
  console.log(
    `  duplicated:                     ${duplicated}${duplicateExamples.length ? ` (${duplicateExamples.join(', ')})` : ''}`,
  );
  console.log(`  permanent failures recorded:    ${permanent}`);
  console.log(`  never acknowledged, answered:   ${unackedAnswered}`);
  console.log(`  transient/permanent error answers from the fake Graph API: ${sends.failed}`);
  if (duplicateExamples.length > 0) {
    console.log('chaos: duplicates (sends at, then what the database recorded)');
    for (const psid of duplicateExamples) {
      const [count, firstAt, lastAt] = sends.sends[psid];
      const at = (ms: number): string => new Date(ms).toISOString().slice(11, 23);
      const rows = await messagesOf(databaseUrl, psid).catch((error: Error) => error.message);
      console.log(
        `  ${psid}: ${count} sends, ${at(firstAt)} .. ${at(lastAt)}; ${JSON.stringify(rows)}`,
      );
    }
  }
  return { lost, duplicated, suspects };
}
