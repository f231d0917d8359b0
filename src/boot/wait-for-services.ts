import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AppConfig, withoutCredentials } from '../config';

/** How long one attempt to reach a service may take, and the pause between attempts. */
const CONNECT_TIMEOUT_MS = 2_000;
export const RETRY_INTERVAL_MS = 3_000;

interface Service {
  name: string;
  variable: string;
  url: string;
  host: string;
  port: number;
}

function serviceOf(name: string, variable: string, url: string, defaultPort: number): Service {
  const parsed = new URL(url);
  const host = parsed.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1';
  return { name, variable, url, host, port: Number(parsed.port || defaultPort) };
}

/** Opens and closes a TCP connection: null when the service listens, else why not. */
function unreachable({ host, port }: Service): Promise<string | null> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: CONNECT_TIMEOUT_MS });
    socket.once('connect', () => {
      socket.destroy();
      resolve(null);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no answer within ${CONNECT_TIMEOUT_MS / 1000} s`);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
  });
}

const HOW_TO_GET_THEM =
  'Start PostgreSQL and Redis locally (see README, Quick start), or run them in Docker: ' +
  '`docker compose up -d postgres redis`.';

/**
 * Waits until PostgreSQL and Redis accept TCP connections, before Nest starts (TypeORM and Bull
 * would otherwise wait in silence). While one is unreachable it writes a line to `write` naming it,
 * its address and its variable (credentials hidden) within about 2 s, how to get the services,
 * then a line per retry every 3 s. Returns once both answer; never gives up (a container may
 * start before its database).
 */
export async function waitForServices(
  config: AppConfig,
  write: (line: string) => void,
): Promise<void> {
  const services = [
    serviceOf('PostgreSQL', 'DATABASE_URL', config.databaseUrl, 5432),
    serviceOf('Redis', 'REDIS_URL', config.redisUrl, 6379),
  ];
  const started = Date.now();
  let waited = false;
  for (;;) {
    const reasons = await Promise.all(services.map(unreachable));
    const down = services.filter((_service, i) => reasons[i] !== null);
    if (down.length === 0) {
      if (waited) write(`PostgreSQL and Redis are reachable; starting.`);
      return;
    }
    const seconds = Math.round((Date.now() - started) / 1000);
    for (const service of down) {
      const reason = reasons[services.indexOf(service)];
      const where = `${service.host}:${service.port} (${service.variable}=${withoutCredentials(service.url)})`;
      write(
        waited
          ? `Still waiting for ${service.name} at ${where} after ${seconds} s: ${reason}`
          : `${service.name} is unreachable at ${where}: ${reason}. Retrying every ${RETRY_INTERVAL_MS / 1000} s.`,
      );
    }
    if (!waited) write(HOW_TO_GET_THEM);
    waited = true;
    await sleep(RETRY_INTERVAL_MS);
  }
}
