import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { requestContext } from '../common/logging/request-context';
import { type ServerResponse } from 'node:http';
import {
  WidgetRepository,
  type PublishedWidgetMessage,
  type SessionRow,
  type StoredWidgetMessage,
} from './widget.repository';
import { WidgetStreamFanOut } from './widget-stream-fan-out';

const HEARTBEAT_MS = 25_000;
const REPLAY_BATCH = 200;
/**
 * How often a process compares its open streams with Postgres (one query for all of them): the
 * last net under pub/sub, for a message stored by a process that died before publishing it.
 */
const CHECK_MS = 10_000;

/** One open stream: where it is, and the work on it, done one step at a time. */
class OpenStream {
  /** The id of the last message written (or the cursor it started after). */
  last: bigint;
  closed = false;
  private chain: Promise<void>;

  constructor(
    readonly session: SessionRow,
    after: string,
    private readonly raw: ServerResponse,
    private readonly repository: WidgetRepository,
    started: Promise<void>,
  ) {
    this.last = BigInt(after);
    // Nothing runs before the subscription is live; then a replay, then what was heard meanwhile.
    this.chain = started;
    this.enqueue(() => this.catchUp());
  }

  /**
   * A message published for the visitor: written at once when it follows the last one written;
   * after a gap (one published before it went unheard, or they crossed), Postgres is read first.
   */
  heard(published: PublishedWidgetMessage): void {
    this.enqueue(async () => {
      const id = BigInt(published.message.id);
      if (id <= this.last) return;
      if (BigInt(published.prevId) === this.last) this.write(published.message);
      else await this.catchUp();
    });
  }

  /** Reads from Postgres whatever came after the last message written. */
  resync(): void {
    this.enqueue(() => this.catchUp());
  }

  private enqueue(step: () => Promise<void> | void): void {
    this.chain = this.chain.then(async () => {
      if (!this.closed) await step();
    });
    // Postgres or Redis failing: end the stream; the browser reconnects with Last-Event-ID.
    this.chain = this.chain.catch(() => this.end());
  }

  private async catchUp(): Promise<void> {
    for (;;) {
      const batch = await this.repository.messagesAfter(
        this.session.botId,
        this.session.visitorId,
        this.last.toString(),
        REPLAY_BATCH,
      );
      batch.forEach((message) => this.write(message));
      if (batch.length < REPLAY_BATCH || this.closed) return;
    }
  }

  private write(message: StoredWidgetMessage): void {
    if (this.closed || BigInt(message.id) <= this.last) return;
    this.last = BigInt(message.id);
    this.raw.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
  }

  end(): void {
    this.closed = true;
    this.raw.end();
  }
}

/**
 * One Server-Sent Events stream per session: `id` is the message id, `event: message`, `data` the
 * StoredWidgetMessage as JSON. It subscribes first, then replays from Postgres what came after the
 * cursor (Last-Event-ID), then writes live messages. A visitor's ids become visible in increasing
 * order (WidgetRepository.insertMessage), and each published message names the one before it, so
 * a stream that missed one (crossed publishes, a Redis blip) notices and reads Postgres: every
 * message is written once, in order.
 */
@Injectable()
export class WidgetSse implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(WidgetSse.name);
  /** Open streams, ended at shutdown: the HTTP server waits for its connections to close. */
  private readonly open = new Set<OpenStream>();
  private closing = false;
  private checkTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly repository: WidgetRepository,
    private readonly streams: WidgetStreamFanOut,
  ) {}

  onModuleInit(): void {
    this.checkTimer = setInterval(() => void this.check(), CHECK_MS);
    this.checkTimer.unref();
  }

  async start(
    session: SessionRow,
    after: string,
    raw: ServerResponse,
    headers: Record<string, string>,
  ): Promise<void> {
    raw.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    raw.write('retry: 2000\n\n');
    if (this.closing) {
      raw.end();
      return;
    }
    let live!: () => void;
    const started = new Promise<void>((resolve) => (live = resolve));
    const stream = new OpenStream(session, after, raw, this.repository, started);
    this.open.add(stream);
    let stop: (() => void) | undefined;
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
    raw.on('close', () => {
      stream.closed = true;
      this.open.delete(stream);
      clearInterval(heartbeat);
      stop?.();
    });
    try {
      stop = await this.streams.listen(session.botId, session.visitorId, stream);
    } catch (error) {
      this.logger.warn(`Widget stream not subscribed: ${(error as Error).message}`);
      stream.end();
      return;
    }
    if (stream.closed) stop();
    live();
    // Live: the request's handling is done, and an open stream keeps no logging hooks on.
    requestContext.release(raw.req);
  }

  /** Compares every open stream with the newest message stored for its visitor. */
  private async check(): Promise<void> {
    if (this.open.size === 0) return;
    const pairs = new Map<string, SessionRow>();
    for (const { session } of this.open)
      pairs.set(`${session.botId}|${session.visitorId}`, session);
    try {
      const latest = await this.repository.lastMessageIds([...pairs.values()]);
      const newest = new Map(
        latest.map((row) => [`${row.botId}|${row.visitorId}`, BigInt(row.id)]),
      );
      for (const stream of this.open) {
        const id = newest.get(`${stream.session.botId}|${stream.session.visitorId}`);
        if (id !== undefined && id > stream.last) stream.resync();
      }
    } catch (error) {
      this.logger.warn(`Widget stream check failed: ${(error as Error).message}`);
    }
  }

  /**
   * Ends every open stream when shutdown begins (before the HTTP server waits for its connections
   * to close, which a stream never would); browsers reconnect, to another process, after `retry`.
   */
  onModuleDestroy(): void {
    this.closing = true;
    clearInterval(this.checkTimer);
    for (const stream of this.open) stream.end();
    this.open.clear();
  }
}
