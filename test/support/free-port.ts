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

/** Listens on `port` (0: the kernel's pick) for a moment: the port it got, or null when taken. */
function listensOn(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(null));
    server.listen(port, '127.0.0.1', () => {
      const { port: bound } = server.address() as { port: number };
      server.close(() => resolve(bound));
    });
  });
}

/** Ports enough for random picks among the suites running beside this one to rarely meet. */
const MIN_SPAN = 2000;

/**
 * A loopback port free now, for a process to listen on later (a service a test starts late, a
 * proxy it stops and starts again). Taken outside the kernel's ephemeral range
 * (`ip_local_port_range`), below it or else above it: the kernel hands ports of that range to
 * every outgoing connection and to every `listen(0)`, so one of them could take a port chosen
 * there before its listener starts (the other suites run beside this one). On a kernel whose
 * range leaves too few ports outside it, the kernel's own pick (`listen(0)`). Throws when 200
 * random tries found none free.
 */
export async function freePort(): Promise<number> {
  const [low, high] = ephemeralRange();
  const below: [number, number] = [Math.max(1024, low - 12_000), low];
  const above: [number, number] = [high + 1, Math.min(65_536, high + 1 + 12_000)];
  const span = [below, above].find(([from, to]) => to - from >= MIN_SPAN);
  if (!span) {
    const picked = await listensOn(0);
    if (picked === null) throw new Error('no loopback port for the kernel to pick');
    return picked;
  }
  const [from, to] = span;
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = from + Math.floor(Math.random() * (to - from));
    if ((await listensOn(port)) !== null) return port;
  }
  throw new Error(`no free port found in ${from}-${to - 1}`);
}
