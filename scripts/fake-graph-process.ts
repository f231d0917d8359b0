/**
 * The fake Graph API as a process of its own, for bench:webhook and chaos: the load generator and
 * the app must not share its event loop (and chaos stalls it with SIGSTOP). Talks to the parent
 * over IPC.
 */
import { FakeGraphApi } from '../test/support/fake-graph-api';

type Request =
  | { type: 'collect' }
  | { type: 'count' }
  | { type: 'stop' }
  /** Chaos: transient failures at random, permanent ones for PSIDs divisible by `permanentEvery`. */
  | { type: 'chaos'; transientRate: number; permanentEvery: number; seed: number }
  /** Chaos: per recipient, how many sends succeeded, when the first and the last arrived. */
  | { type: 'report' };

async function main(): Promise<void> {
  const graph = new FakeGraphApi();
  const url = await graph.start();
  process.send?.({ type: 'ready', url });
  // Sends answered before the last `collect`, which clears the records.
  let collected = 0;
  process.on('message', (request: Request) => {
    if (request.type === 'count') {
      process.send?.({ type: 'count', total: collected + graph.sends.length });
    } else if (request.type === 'collect') {
      collected += graph.sends.length;
      // Arrival time per recipient: the bench uses unique PSIDs, so this is per delivery.
      const arrivals = graph.sends.map((send) => [send.recipient?.id ?? '', send.at] as const);
      graph.reset();
      process.send?.({ type: 'collected', arrivals, profiles: graph.profileRequests.length });
    } else if (request.type === 'chaos') {
      const every = BigInt(request.permanentEvery);
      graph.failRandomly({
        transientRate: request.transientRate,
        permanentFor: (id) => /^\d+$/.test(id) && BigInt(id) % every === 0n,
        seed: request.seed,
      });
      process.send?.({ type: 'chaos-on' });
    } else if (request.type === 'report') {
      const sends: Record<string, [count: number, firstAt: number, lastAt: number]> = {};
      for (const send of graph.sends) {
        const id = send.recipient?.id ?? '';
        const seen = sends[id];
        if (seen) {
          seen[0]++;
          seen[2] = send.at;
        } else sends[id] = [1, send.at, send.at];
      }
      process.send?.({ type: 'report', sends, failed: graph.failedSends.length });
    } else {
      void graph.stop().then(() => process.exit(0));
    }
  });
}

void main();
