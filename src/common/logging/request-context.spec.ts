import { AsyncLocalStorage } from 'node:async_hooks';
import fastify, { type FastifyInstance } from 'fastify';
import { RequestContextSwitch } from './request-context';

/** A real AsyncLocalStorage whose `disable` calls are counted. */
function watched(als: AsyncLocalStorage<{ id: string }>) {
  const watch = { disabled: 0, disable: () => ((watch.disabled += 1), als.disable()) };
  return watch;
}

describe('RequestContextSwitch', () => {
  const als = new AsyncLocalStorage<{ id: string }>();
  let app: FastifyInstance;
  let base: string;
  let context: ReturnType<typeof watched>;
  let contextSwitch: RequestContextSwitch;
  const gates = new Map<string, () => void>();
  const arrived = new Map<string, Promise<void>>();
  const arrivedSignals = new Map<string, () => void>();
  let streamClosed: () => void = () => undefined;

  const expectArrival = (id: string) =>
    arrived.set(id, new Promise<void>((resolve) => arrivedSignals.set(id, resolve)));

  beforeAll(async () => {
    // fetch keeps its connections alive: close them with the server.
    app = fastify({ forceCloseConnections: true });
    context = watched(als);
    contextSwitch = new RequestContextSwitch(context);
    contextSwitch.register(app);
    // As nestjs-pino's middleware does: the request's handling runs in its own context.
    app.get<{ Params: { id: string } }>('/held/:id', (request) =>
      als.run({ id: request.params.id }, async () => {
        await new Promise<void>((resolve) => {
          gates.set(request.params.id, resolve);
          arrivedSignals.get(request.params.id)?.();
        });
        return { seen: als.getStore()?.id ?? null };
      }),
    );
    app.get('/hijacked', (request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
      reply.raw.write('retry: 2000\n\n');
      reply.raw.once('close', () => streamClosed());
      contextSwitch.release(request.raw);
      contextSwitch.release(request.raw);
    });
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(() => app.close());

  it('switches the context off when the last request in flight closes, not before', async () => {
    expectArrival('a');
    const a = fetch(`${base}/held/a`).then((r) => r.json());
    await arrived.get('a');
    expectArrival('b');
    const b = fetch(`${base}/held/b`).then((r) => r.json());
    await arrived.get('b');
    gates.get('b')!();
    expect(await b).toEqual({ seen: 'b' });
    // b is answered while a is in flight: the context stays on, and a still reads its own.
    expect(context.disabled).toBe(0);
    gates.get('a')!();
    expect(await a).toEqual({ seen: 'a' });
    await waitFor(() => context.disabled === 1);
    expect(context.disabled).toBe(1);
  });

  it('counts a released request no longer, even while its stream stays open', async () => {
    const before = context.disabled;
    const controller = new AbortController();
    const stream = await fetch(`${base}/hijacked`, { signal: controller.signal });
    expect(stream.status).toBe(200);
    // Released twice by its handler, counted once: the count does not go below zero.
    await waitFor(() => context.disabled === before + 1);
    expectArrival('c');
    const c = fetch(`${base}/held/c`).then((r) => r.json());
    await arrived.get('c');
    gates.get('c')!();
    expect(await c).toEqual({ seen: 'c' });
    await waitFor(() => context.disabled === before + 2);
    const closed = new Promise<void>((resolve) => (streamClosed = resolve));
    controller.abort();
    // The stream's close after its release changes nothing.
    await closed;
    expect(context.disabled).toBe(before + 2);
  });
});

/** Polls `check` until it holds; throws after 2 s. */
async function waitFor(check: () => boolean): Promise<void> {
  for (let i = 0; !check(); i++) {
    if (i === 200) throw new Error(`Still false after 2 s: ${check.toString()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
