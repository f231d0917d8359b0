import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

/** Linux's default ephemeral range, for a kernel that does not say (net.ipv4.ip_local_port_range). */
const DEFAULT_EPHEMERAL: [number, number] = [32768, 60999];

function ephemeralRange(): [number, number] {
  try {
    const [low, high] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
      .trim()
      .split(/\s+/)
      .map(Number);
    return low > 0 && high >= low ? [low, high] : DEFAULT_EPHEMERAL;
  } catch {
    return DEFAULT_EPHEMERAL;
  }
}

function listensOn(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/**
 * A loopback port free now, for a process to listen on later (a service a test starts late, a
 * proxy it stops and starts again). Taken below the kernel's ephemeral range
 * (`ip_local_port_range`): the kernel hands ports of that range to every outgoing connection and
 * to every `listen(0)`, so one of them could take a port chosen there before its listener starts
 * (the other suites run beside this one). Throws when 200 random tries found none.
 */
export async function freePort(): Promise<number> {
  const [low] = ephemeralRange();
  const first = Math.max(1024, low - 12_000);
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = first + Math.floor(Math.random() * (low - first));
    if (await listensOn(port)) return port;
  }
  throw new Error(`no free port found in ${first}-${low - 1}`);
}
