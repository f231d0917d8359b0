import autocannon from 'autocannon';
import { type ChildProcess } from 'node:child_process';
import { Agent, request } from 'undici';
import { sleep } from './bench-support';
import { type SignedDelivery } from './signed-delivery';

/** The load side of bench:webhook: paced and flat-out posting, and asking the fake Graph API. */

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

/** The sends the fake Graph API received since the last collect, as [psid, arrival ms], and clears them. */
export async function collectSends(graph: ChildProcess): Promise<[string, number][]> {
  return (await ask<{ arrivals: [string, number][] }>(graph, 'collect', 'collected')).arrivals;
}

/**
 * Waits until the fake Graph API has received `expected` sends in all (asked over IPC: polling a
 * system's database would add load to the very thing being measured); returns the ms waited.
 */
export async function waitForAnswers(
  graph: ChildProcess,
  expected: number,
  timeoutMs: number,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const { total } = await ask<{ total: number }>(graph, 'count', 'count');
    if (total >= expected) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`only ${total} of ${expected} answered`);
    await sleep(20);
  }
}

/** The paced load's keep-alive pool: far cheaper per request than `fetch`, so the load generator
 * leaves the CPU it shares with the systems to them. */
const loadAgent = new Agent({ connections: 64 });

export interface Paced {
  sent: number;
  rate: number;
  intakeLatencies: number[];
  failures: number;
}

/** A delivery to post: who it is from, and its signed bytes. */
export type NextDelivery = () => SignedDelivery & { psid: string };

/**
 * Posts deliveries to `url` at a steady `rate` for `seconds`, stamping each just before it is sent
 * (a load generator that builds requests ahead of time would stamp them too early).
 */
export async function paced(
  url: string,
  rate: number,
  seconds: number,
  next: NextDelivery,
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
        request(url, {
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

/** Posts deliveries to `url` as fast as `connections` connections can, for `seconds`. */
export function flatOut(
  url: string,
  connections: number,
  seconds: number,
  next: NextDelivery,
): Promise<autocannon.Result> {
  const { origin, pathname } = new URL(url);
  const options: autocannon.Options = {
    url: origin,
    connections,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: autocannon.Request) => {
          const delivery = next();
          return {
            ...req,
            method: 'POST',
            path: pathname,
            body: delivery.body,
            headers: delivery.headers,
          };
        },
      },
    ],
  };
  return new Promise((resolve, reject) => {
    autocannon(options, (error: Error | null, result) => (error ? reject(error) : resolve(result)));
  });
}
