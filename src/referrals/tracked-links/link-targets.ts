import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { LRUCache } from 'lru-cache';
import { DataSource } from 'typeorm';
import { BotsService, type BotLinkTargets } from '../../bots';
import { AppError } from '../../common/errors';
import { withTimeout } from '../../common/with-timeout';
import { findActiveReferral } from '../referrals.repository';

/** How long a lookup stays fresh; a stale one is still served while it is refreshed. */
const FRESH_MS = 30_000;
/** A stale lookup is served for this long at most when Postgres cannot refresh it. */
const STALE_MAX_MS = 24 * 3600_000;
/** A cold lookup waits this long for Postgres at most. */
const LOOKUP_TIMEOUT_MS = 1000;

/** A cached answer; `value` null means "looked up, none". */
interface Cached<T> {
  value: T | null;
}

/** The active referral a tracked param names. */
export interface TrackedReferral {
  id: string;
  trackingParam: string;
}

/**
 * The bot's link targets and the referral behind a tracked param, cached per process: a tracked
 * link answers from memory, refreshing in the background every FRESH_MS, and keeps answering
 * from the last known values while Postgres is away. A param renamed or deactivated takes up to
 * FRESH_MS to stop resolving in other processes (at once in the process that changed it).
 */
@Injectable()
export class LinkTargets implements OnModuleDestroy {
  private readonly sweep: NodeJS.Timeout;
  private readonly targets: LRUCache<string, Cached<BotLinkTargets>>;
  private readonly referrals: LRUCache<string, Cached<TrackedReferral>>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly bots: BotsService,
  ) {
    const options = {
      max: 50_000,
      ttl: FRESH_MS,
      allowStale: true,
      noDeleteOnStaleGet: true,
      allowStaleOnFetchRejection: true,
      allowStaleOnFetchAbort: true,
      noDeleteOnFetchRejection: true,
    };
    this.targets = new LRUCache<string, Cached<BotLinkTargets>>({
      ...options,
      fetchMethod: (botId) => this.lookUp(() => this.loadTargets(botId)),
    });
    this.referrals = new LRUCache<string, Cached<TrackedReferral>>({
      ...options,
      fetchMethod: (key) => {
        const [botId, param] = splitKey(key);
        return this.lookUp(() => this.loadReferral(botId, param));
      },
    });
    // Entries stale for longer than STALE_MAX_MS are dropped by a periodic sweep.
    this.sweep = setInterval(() => this.dropOld(), FRESH_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.sweep);
  }

  /** The bot's targets; null when the bot does not exist. Throws when unknown and Postgres is away. */
  async targetsOf(botId: string): Promise<BotLinkTargets | null> {
    const cached = await this.targets.fetch(botId);
    if (!cached) throw new Error(`link targets of bot ${botId} unavailable`);
    return cached.value;
  }

  /** The bot's active referral with this param (case-insensitive); null when none. */
  async referralOf(botId: string, trackingParam: string): Promise<TrackedReferral | null> {
    const cached = await this.referrals.fetch(referralKey(botId, trackingParam));
    if (!cached) throw new Error(`referral "${trackingParam}" of bot ${botId} unavailable`);
    return cached.value;
  }

  /** Forgets what this process knew of a bot's referrals and targets, after a change. */
  forget(botId: string): void {
    this.targets.delete(botId);
    for (const key of this.referrals.keys()) {
      if (key.startsWith(`${botId}|`)) this.referrals.delete(key);
    }
  }

  private async lookUp<T>(load: () => Promise<T | null>): Promise<Cached<T>> {
    const value = await withTimeout(load(), LOOKUP_TIMEOUT_MS, 'lookup timed out');
    return { value };
  }

  private async loadTargets(botId: string): Promise<BotLinkTargets | null> {
    try {
      return await this.bots.getLinkTargets(botId);
    } catch (error) {
      if (error instanceof AppError && error.getStatus() === 404) return null;
      throw error;
    }
  }

  private async loadReferral(botId: string, param: string): Promise<TrackedReferral | null> {
    const referral = await findActiveReferral(this.dataSource.manager, botId, param);
    return referral ? { id: referral.id, trackingParam: referral.trackingParam } : null;
  }

  private dropOld(): void {
    for (const cache of [this.targets, this.referrals] as LRUCache<string, object>[]) {
      for (const key of cache.keys()) {
        if (cache.getRemainingTTL(key) < FRESH_MS - STALE_MAX_MS) cache.delete(key);
      }
    }
  }
}

function referralKey(botId: string, trackingParam: string): string {
  return `${botId}|${trackingParam.toLowerCase()}`;
}

function splitKey(key: string): [string, string] {
  const at = key.indexOf('|');
  return [key.slice(0, at), key.slice(at + 1)];
}
