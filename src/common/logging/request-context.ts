import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { storage } from 'nestjs-pino/storage';

/** What the switch needs of an AsyncLocalStorage. */
interface Context {
  disable(): void;
}

/**
 * Keeps the logs' request context (nestjs-pino's AsyncLocalStorage) switched on only while the
 * HTTP server is serving a request.
 *
 * nestjs-pino's middleware runs each request in `storage.run(…)`, so that every line logged
 * while serving it carries its id. On Node 20 the first `run` installs async hooks, a promise hook
 * among them, which then run for every promise and callback the process creates, for good,
 * whatever it belongs to. The Messenger path paid for them although none of it runs in a request
 * context (its webhook bypasses pino-http below debug; its batches, sends and jobs run after the
 * response): with the context never switched on, the process's CPU per delivery was 0.22 ms lower
 * at 150 deliveries/s (3 of 4 paired rounds) and 0.12 ms at 300/s (4 of 4), `npm run
 * bench:compare`. `disable()` removes the hooks once no request is left; the next request's `run`
 * installs them again. Source:
 * https://nodejs.org/docs/latest-v20.x/api/async_context.html#asynclocalstoragedisable
 *
 * A request counts from its `onRequest` hook until its response closes (sent, or the connection
 * dropped), or until `release`: a hijacked reply (a widget event stream) is released once it is
 * live, so an open stream does not keep the hooks on for its lifetime. Lines a request's work logs
 * after that point carry its id only while another request keeps the context on. A response that
 * never closes (none known; an HTTP/1.1 pipelined one queued behind a dead socket, perhaps)
 * would keep the hooks on, as they were before: a cost, never a lost line.
 */
export class RequestContextSwitch {
  private served = 0;
  private readonly counted = new WeakSet<IncomingMessage>();

  constructor(private readonly context: Context = storage) {}

  /** Registers the counting hook on `fastify`; call before its routes are added. */
  register(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', (request, reply, done) => {
      const raw = request.raw;
      this.counted.add(raw);
      this.served += 1;
      reply.raw.once('close', () => this.release(raw));
      done();
    });
  }

  /** Ends the count of the request `raw` (once): the context is switched off when none is left. */
  release(raw: IncomingMessage): void {
    if (!this.counted.delete(raw)) return;
    this.served -= 1;
    if (this.served === 0) this.context.disable();
  }
}

/** The process's switch, over nestjs-pino's one storage. */
export const requestContext = new RequestContextSwitch();
