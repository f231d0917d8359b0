import { createServer, type IncomingMessage, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { type AppConfig } from '../../config';
import { GraphApiClient } from './graph-api.client';

/** A Graph API on loopback that takes every request and never answers one. */
async function hangingGraph(): Promise<{ server: Server; url: string; seen: () => number }> {
  const held: IncomingMessage[] = [];
  const server = createServer((req) => void held.push(req));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, seen: () => held.length };
}

describe('GraphApiClient.getProfile', () => {
  it('gives up within 3 s even while waiting for a socket, every one held by hung sends', async () => {
    const graph = await hangingGraph();
    const client = new GraphApiClient({
      messenger: { graphApiUrl: graph.url, graphApiVersion: 'v21.0' },
    } as AppConfig);
    // 64 sends take every socket the client keeps to the Graph API (MAX_CONNECTIONS), and hang.
    const sends = Array.from({ length: 64 }, (_, k) =>
      client.sendMessage('token', { id: `psid-${k}` }, { text: 'hi' }),
    );
    try {
      while (graph.seen() < 64) await new Promise((resolve) => setImmediate(resolve));
      const started = Date.now();
      const profile = await Promise.race([
        client.getProfile('token', 'psid-new'),
        new Promise<'still waiting'>((resolve) => setTimeout(() => resolve('still waiting'), 6000)),
      ]);
      expect({ profile, withinMs: Date.now() - started < 4000 }).toEqual({
        profile: null,
        withinMs: true,
      });
      // The look-up never reached the Graph API: it waited for a socket all along.
      expect(graph.seen()).toBe(64);
    } finally {
      graph.server.closeAllConnections();
      await Promise.allSettled(sends);
      await client.onApplicationShutdown();
      await new Promise((resolve) => graph.server.close(resolve));
    }
  });
});
