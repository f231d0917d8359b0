import { createServer, type Server } from 'node:net';
import { loadConfig } from '../config';
import { RETRY_INTERVAL_MS, waitForServices } from './wait-for-services';

/** A port nothing listens on (yet): taken from the OS, then released. */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer((socket) => socket.destroy());
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

describe('waitForServices', () => {
  it('names the unreachable service and its address at once, repeats every few seconds, and returns once both answer', async () => {
    const [pgPort, redisPort] = [await closedPort(), await closedPort()];
    const config = loadConfig({
      DATABASE_URL: `postgres://app:pg-secret@127.0.0.1:${pgPort}/app`,
      REDIS_URL: `redis://:redis-secret@127.0.0.1:${redisPort}`,
    });
    const started = Date.now();
    const lines: [number, string][] = [];
    let up: Promise<Server[]> | undefined;
    const waited = waitForServices(config, (line) => {
      lines.push([Date.now() - started, line]);
      // Two rounds of retries seen: bring the services up.
      const retries = lines.filter(([, l]) => l.startsWith('Still waiting for PostgreSQL'));
      if (retries.length === 2 && !up) up = Promise.all([listen(pgPort), listen(redisPort)]);
    });
    try {
      await waited;
    } finally {
      const servers = (await up) ?? [];
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
    const text = lines.map(([, line]) => line);
    expect(text[0]).toBe(
      `PostgreSQL is unreachable at 127.0.0.1:${pgPort} (DATABASE_URL=postgres://[credentials hidden]@127.0.0.1:${pgPort}/app): ECONNREFUSED. Retrying every 3 s.`,
    );
    expect(text[1]).toMatch(
      `Redis is unreachable at 127.0.0.1:${redisPort} (REDIS_URL=redis://[credentials hidden]@`,
    );
    expect(text[2]).toContain('`docker compose up -d postgres redis`');
    expect(text[2]).toMatch(/locally/);
    expect(text.at(-1)).toBe('PostgreSQL and Redis are reachable; starting.');
    expect(text.join('\n')).not.toMatch(/pg-secret|redis-secret/);
    // The first word comes within a second; the retries a few seconds apart.
    expect(lines[0][0]).toBeLessThan(1_000);
    const retries = lines.filter(([, l]) => l.startsWith('Still waiting for PostgreSQL'));
    expect(retries.length).toBeGreaterThanOrEqual(2);
    for (const [at] of retries) expect(at).toBeGreaterThanOrEqual(RETRY_INTERVAL_MS - 100);
    expect(retries[1][0] - retries[0][0]).toBeLessThan(RETRY_INTERVAL_MS + 2_000);
  }, 30_000);
});
