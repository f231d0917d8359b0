import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type Redis from 'ioredis';
import { withTimeout } from '../common/with-timeout';
import { AppConfig } from '../config';
import { InjectRedis } from '../queues';
import { type PublishedWidgetMessage } from './widget.repository';
import { widgetChannel } from './widget-streams';

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
 * The receiving side of Redis pub/sub between the process that sends a message (WidgetStreams,
 * from an outbound worker) and the processes holding visitors' streams: one channel per visitor,
 * subscribed on one connection per process while at least one of its streams is open. A provider
 * of WidgetHttpModule, so only processes that serve HTTP hold it. Pub/sub loses what nobody hears:
 * the message is stored first, and streams re-read Postgres when they may have missed one (a gap
 * in `prevId`, a subscriber reconnect, the periodic check in WidgetSse).
 *
 * The connection is opened at start, without ioredis's CLIENT SETINFO handshake: since ioredis
 * 5.8.2 that handshake can interleave with SUBSCRIBEs queued while connecting, and the replies then
 * leave some SUBSCRIBE promises unresolved for good (redis/ioredis#2037), which left streams
 * opened during start-up deaf.
 */
@Injectable()
export class WidgetStreamFanOut implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(WidgetStreamFanOut.name);
  private subscriber: Redis | null = null;
  private readonly channels = new Map<string, Channel>();

  constructor(
    @InjectRedis() private readonly redis: Redis,
    private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.subscriber = this.openSubscriber();
  }

  /**
   * Calls `listener` with each message published to the visitor until the returned stop is called.
   * Resolves once the subscription is live in Redis (whoever asked for it first), so whatever is
   * stored after this resolves is heard; rejects when Redis does not confirm in time.
   */
  async listen(botId: string, visitorId: string, listener: StreamListener): Promise<() => void> {
    const subscriber = this.subscriber;
    if (!subscriber) throw new Error('the stream subscriber is not open yet');
    const key = widgetChannel(this.config.queuePrefix, botId, visitorId);
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
    const subscriber = this.subscriber;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }
}
