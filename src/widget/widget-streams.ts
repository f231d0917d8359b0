import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../config';
import { InjectRedis } from '../queues';
import { type PublishedWidgetMessage } from './widget.repository';

/** The Redis channel of one visitor's streams: `<QUEUE_PREFIX>:widget:<botId>:<visitorId>`. */
export function widgetChannel(queuePrefix: string, botId: string, visitorId: string): string {
  return `${queuePrefix}:widget:${botId}:${visitorId}`;
}

/** Publishes that may wait for Redis at once; a bound on the memory a long outage can take. */
export const MAX_UNSENT_PUBLISHES = 10_000;

/**
 * The sending side of Redis pub/sub between the process that sends a message (an outbound
 * worker) and the processes holding visitors' streams (WidgetStreamFanOut, in
 * `widget-stream-fan-out.ts`, only where HTTP is served). Every process has it: a reply is sent
 * wherever jobs are taken. Pub/sub loses what nobody hears: the message is stored first.
 *
 * The connection is opened at start, without ioredis's CLIENT SETINFO handshake (see
 * WidgetStreamFanOut for why).
 */
@Injectable()
export class WidgetStreams implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WidgetStreams.name);
  private publisher: Redis | null = null;
  private unsent = 0;
  private dropped = 0;

  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    // A publish waits in the offline queue while Redis is away and goes out when it is back, so
    // a stream still open hears it; the sender never waits for it.
    this.publisher = this.redis.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      disableClientInfo: true,
    });
    this.publisher.on('error', (error: Error) =>
      this.logger.warn(`Redis publisher: ${error.message}`),
    );
  }

  /**
   * Tells every process streaming to the visitor; never throws or waits: the message is stored.
   * While Redis is away, at most MAX_UNSENT_PUBLISHES wait in the publisher's offline queue; past
   * that a publish is dropped, since open streams find stored messages anyway (subscriber
   * reconnect and the periodic check re-read Postgres) and a long outage must not grow memory.
   */
  publish(botId: string, visitorId: string, published: PublishedWidgetMessage): void {
    if (!this.publisher) return;
    if (this.unsent >= MAX_UNSENT_PUBLISHES) {
      this.dropped++;
      return;
    }
    this.unsent++;
    this.publisher
      .publish(widgetChannel(this.config.queuePrefix, botId, visitorId), JSON.stringify(published))
      .catch((error: Error) =>
        this.logger.warn(`Widget message ${published.message.id} not published: ${error.message}`),
      )
      .finally(() => {
        this.unsent--;
        if (this.unsent === 0 && this.dropped > 0) {
          this.logger.warn(
            `${this.dropped} widget publish(es) dropped while Redis was away; streams re-read them from Postgres`,
          );
          this.dropped = 0;
        }
      });
  }

  /** Publishes sent to Redis and not yet answered (the offline queue included). */
  get unsentPublishes(): number {
    return this.unsent;
  }

  async onApplicationShutdown(): Promise<void> {
    const publisher = this.publisher;
    await publisher?.quit().catch(() => publisher.disconnect());
  }
}
