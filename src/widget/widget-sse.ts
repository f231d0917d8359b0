import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { type ServerResponse } from 'node:http';
import { WidgetRepository, type SessionRow, type StoredWidgetMessage } from './widget.repository';
import { WidgetStreams } from './widget-streams';

const HEARTBEAT_MS = 25_000;
const REPLAY_BATCH = 200;

/**
 * One Server-Sent Events stream per session: `id` is the message id, `event: message`, `data` the
 * StoredWidgetMessage as JSON. It subscribes first, then replays from Postgres what came after the
 * cursor (Last-Event-ID), then sends live messages, so nothing falls in the gap and nothing comes
 * twice (ids only increase).
 */
@Injectable()
export class WidgetSse implements OnModuleDestroy {
  /** Open streams, ended at shutdown: the HTTP server waits for its connections to close. */
  private readonly open = new Set<ServerResponse>();
  private closing = false;

  constructor(
    private readonly repository: WidgetRepository,
    private readonly streams: WidgetStreams,
  ) {}

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
    this.open.add(raw);
    let last = BigInt(after);
    let closed = false;
    const write = (message: StoredWidgetMessage): void => {
      if (closed || BigInt(message.id) <= last) return;
      last = BigInt(message.id);
      raw.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
    };
    let live = false;
    const early: StoredWidgetMessage[] = [];
    const stop = await this.streams.listen(session.botId, session.visitorId, (message) =>
      live ? write(message) : early.push(message),
    );
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
    raw.on('close', () => {
      closed = true;
      this.open.delete(raw);
      clearInterval(heartbeat);
      stop();
    });
    try {
      for (;;) {
        const batch = await this.repository.messagesAfter(
          session.botId,
          session.visitorId,
          last.toString(),
          REPLAY_BATCH,
        );
        batch.forEach(write);
        if (batch.length < REPLAY_BATCH || closed) break;
      }
    } catch {
      raw.end();
      return;
    }
    live = true;
    early.sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : 1)).forEach(write);
  }

  /**
   * Ends every open stream when shutdown begins (before the HTTP server waits for its connections
   * to close, which a stream never would); browsers reconnect, to another process, after `retry`.
   */
  onModuleDestroy(): void {
    this.closing = true;
    for (const raw of this.open) raw.end();
    this.open.clear();
  }
}
