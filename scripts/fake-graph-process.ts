/**
 * The fake Graph API as a process of its own, for bench:webhook: the load generator and the app
 * must not share its event loop. Talks to the parent over IPC.
 */
import { FakeGraphApi } from '../test/support/fake-graph-api';

type Request = { type: 'collect' } | { type: 'count' } | { type: 'stop' };

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
    } else {
      void graph.stop().then(() => process.exit(0));
    }
  });
}

void main();
