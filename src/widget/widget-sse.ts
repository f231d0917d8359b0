import { Injectable } from '@nestjs/common';
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
export class WidgetSse {
  constructor(
    private readonly repository: WidgetRepository,
    private readonly streams: WidgetStreams,
  ) {}

  async open(
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
}
