import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { withTimeout } from '../common/with-timeout';
import { AppConfig } from '../config';
import { InjectRedis } from '../queues';
import { type PublishedWidgetMessage } from './widget.repository';

/** What a stream is told: each message published to its visitor, and when it may have missed some. */
export interface StreamListener {
  heard(published: PublishedWidgetMessage): void;
  /** Pub/sub was away (the subscriber reconnected): messages may have gone unheard. */
  resync(): void;
}

/** How long a SUBSCRIBE may take before the stream gives up (the browser then reconnects). */
const SUBSCRIBE_TIMEOUT_MS = 5000;

interface Channel {
  listeners: Set<StreamListener>;
  /** Settles once Redis has confirmed the subscription. */
  subscribed: Promise<void>;
}

/**
 * Redis pub/sub between the process that sends a message (an outbound worker) and the processes
 * holding visitors' streams: one channel per visitor, subscribed on one connection per process
 * while at least one of its streams is open. Pub/sub loses what nobody hears: the message is stored
 * first, and streams re-read Postgres when they may have missed one (a gap in `prevId`, a
 * subscriber reconnect, the periodic check in WidgetSse).
 *
 * Both connections are opened at start, without ioredis's CLIENT SETINFO handshake: since ioredis
 * 5.8.2 that handshake can interleave with SUBSCRIBEs queued while connecting, and the replies then
 * leave some SUBSCRIBE promises unresolved for good (redis/ioredis#2037), which left streams
 * opened during start-up deaf.
 */
/** Publishes that may wait for Redis at once; a bound on the memory a long outage can take. */
export const MAX_UNSENT_PUBLISHES = 10_000;

@Injectable()
export class WidgetStreams implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WidgetStreams.name);
  private subscriber: Redis | null = null;
  private publisher: Redis | null = null;
  private readonly channels = new Map<string, Channel>();
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
    if (this.config.runsHttp) this.subscriber = this.openSubscriber();
  }

  private key(botId: string, visitorId: string): string {
    return `${this.config.queuePrefix}:widget:${botId}:${visitorId}`;
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
      .publish(this.key(botId, visitorId), JSON.stringify(published))
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

  /**
   * Calls `listener` with each message published to the visitor until the returned stop is called.
   * Resolves once the subscription is live in Redis (whoever asked for it first), so whatever is
   * stored after this resolves is heard; rejects when Redis does not confirm in time.
   */
  async listen(botId: string, visitorId: string, listener: StreamListener): Promise<() => void> {
    const subscriber = this.subscriber;
    if (!subscriber) throw new Error('this process serves no streams');
    const key = this.key(botId, visitorId);
    let channel = this.channels.get(key);
    if (!channel) {
      const subscribed = withTimeout(
        subscriber.subscribe(key).then(() => undefined),
        SUBSCRIBE_TIMEOUT_MS,
        'Redis did not confirm the subscription',
      );
      subscribed.catch(() => undefined);
      channel = { listeners: new Set(), subscribed };
      this.channels.set(key, channel);
    }
    channel.listeners.add(listener);
    const stop = (): void => {
      const current = this.channels.get(key);
      if (!current || !current.listeners.delete(listener)) return;
      if (current.listeners.size === 0) {
        this.channels.delete(key);
        subscriber.unsubscribe(key).catch(() => undefined);
      }
    };
    try {
      await channel.subscribed;
    } catch (error) {
      stop();
      throw error;
    }
    return stop;
  }

  private openSubscriber(): Redis {
    const subscriber = this.redis.duplicate({
      enableOfflineQueue: true,
      maxRetriesPerRequest: null,
      disableClientInfo: true,
    });
    subscriber.on('message', (key: string, text: string) => {
      const channel = this.channels.get(key);
      if (!channel) return;
      const published = JSON.parse(text) as PublishedWidgetMessage;
      for (const listener of channel.listeners) listener.heard(published);
    });
    subscriber.on('error', (error: Error) =>
      this.logger.warn(`Redis subscriber: ${error.message}`),
    );
    let connectedBefore = false;
    subscriber.on('ready', () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      // ioredis re-subscribes on reconnect; once Redis has answered a PING sent after those
      // SUBSCRIBEs they are live, and what was published meanwhile is read from Postgres.
      subscriber
        .ping()
        .then(() => {
          for (const channel of this.channels.values())
            for (const listener of channel.listeners) listener.resync();
        })
        .catch(() => undefined);
    });
    return subscriber;
  }

  async onApplicationShutdown(): Promise<void> {
    this.channels.clear();
    for (const connection of [this.subscriber, this.publisher])
      await connection?.quit().catch(() => connection.disconnect());
  }
}
