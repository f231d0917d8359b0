import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../config';
import { InjectRedis } from '../queues';
import { type StoredWidgetMessage } from './widget.repository';

type Listener = (message: StoredWidgetMessage) => void;

/**
 * Redis pub/sub between the process that sends a message (an outbound worker) and the processes
 * holding visitors' streams: one channel per visitor, subscribed on one connection per process
 * while at least one of its streams is open. Pub/sub loses what nobody hears, which is fine: the
 * message is stored first, and a stream reads what it missed from Postgres (Last-Event-ID).
 */
@Injectable()
export class WidgetStreams implements OnApplicationShutdown {
  private readonly logger = new Logger(WidgetStreams.name);
  private subscriber: Redis | null = null;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  private channel(botId: string, visitorId: string): string {
    return `${this.config.queuePrefix}:widget:${botId}:${visitorId}`;
  }

  /** Tells every process streaming to the visitor. Never throws: the message is stored already. */
  async publish(botId: string, visitorId: string, message: StoredWidgetMessage): Promise<void> {
    try {
      await this.redis.publish(this.channel(botId, visitorId), JSON.stringify(message));
    } catch (error) {
      this.logger.warn(`Widget message ${message.id} not published: ${(error as Error).message}`);
    }
  }

  /** Calls `listener` with each message published to the visitor until the returned stop is called. */
  async listen(botId: string, visitorId: string, listener: Listener): Promise<() => void> {
    const channel = this.channel(botId, visitorId);
    let set = this.listeners.get(channel);
    if (!set) {
      set = new Set();
      this.listeners.set(channel, set);
      await this.connection().subscribe(channel);
    }
    set.add(listener);
    return () => {
      const current = this.listeners.get(channel);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) {
        this.listeners.delete(channel);
        this.subscriber?.unsubscribe(channel).catch(() => undefined);
      }
    };
  }

  private connection(): Redis {
    if (this.subscriber) return this.subscriber;
    const subscriber = this.redis.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
    });
    subscriber.on('message', (channel: string, text: string) => {
      const set = this.listeners.get(channel);
      if (!set) return;
      const message = JSON.parse(text) as StoredWidgetMessage;
      for (const listener of set) listener(message);
    });
    subscriber.on('error', (error: Error) =>
      this.logger.warn(`Redis subscriber: ${error.message}`),
    );
    this.subscriber = subscriber;
    return subscriber;
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
    await this.subscriber?.quit().catch(() => this.subscriber?.disconnect());
  }
}
