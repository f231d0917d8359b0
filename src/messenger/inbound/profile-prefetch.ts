import { Injectable } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { GraphApiClient, type GraphProfile } from '../graph/graph-api.client';
import { PageDirectory } from '../page-directory';

/** Contacts remembered as looked up (a key is about 60 bytes: 50,000 of them are a few MB). */
const LOOKED_UP_KEPT = 50_000;
/**
 * Look-ups started and not taken yet, kept at most; past it the oldest is dropped and its batch
 * looks up itself, as it would after the TTL (a backlog of more than this many new people).
 * Small on purpose: lru-cache empties its whole store (arrays of `max` slots) whenever its last
 * entry is deleted, which at light traffic is every `take`; at 10,000 slots that cost about
 * 15 µs of CPU per delivery (CPU profile of `npm run bench:webhook`, lru-cache 11.5).
 */
const STARTED_KEPT = 1_000;
const STARTED_TTL_MS = 10_000;
/**
 * Look-ups started ahead and not settled, at most: fewer than a batch may start itself (50), on
 * the Graph API agent the sends share (64 sockets). Past it, the batch looks up as it did before.
 */
const AHEAD_IN_FLIGHT_MAX = 32;
/**
 * A look-up slower than this (answered, failed or in flight) marks Meta's answers slow for
 * `SLOW_FOR_MS`: meanwhile the webhook stores its items before their batch rather than waiting
 * for a batch that waits for Meta (`answeringFast`, InboundInHand.idsToStoreInBatch).
 */
const SLOW_LOOKUP_MS = 500;
const SLOW_FOR_MS = 30_000;

/**
 * User profile look-ups (Graph API, first and last name) started as a webhook item arrives, so
 * that the batch that handles it finds the answer ready instead of waiting for it after taking the
 * contact's lock (a round trip to Meta on the path of every new person's first answer). The batch
 * still decides: it takes a look-up (`take`) only for a contact whose profile Postgres says was
 * never looked up, and ignores one started for a contact that turns out looked up meanwhile.
 * Contacts this process saw looked up are remembered (`lookedUp`), so a returning person costs no
 * look-up; one this process has not seen (after a restart, or served by another process) costs
 * one look-up whose answer is not used.
 */
@Injectable()
export class ProfilePrefetch {
  private readonly lookedUpKeys = new LRUCache<string, true>({ max: LOOKED_UP_KEPT });
  private readonly started = new LRUCache<string, Promise<GraphProfile | null>>({
    max: STARTED_KEPT,
    ttl: STARTED_TTL_MS,
  });
  private inFlight = 0;
  /** When each look-up in flight started (performance.now(), ms), oldest first. */
  private readonly startedAt = new Set<{ at: number }>();
  /** Until when Meta's answers count as slow (performance.now(), ms). */
  private slowUntil = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly pages: PageDirectory,
    private readonly graph: GraphApiClient,
  ) {}

  /**
   * Starts looking up the profile of the sender of an item (`senderKey` `psid:<id>`, of the bot
   * `botId`), unless it is not a PSID, was seen looked up, is being looked up already, or
   * `AHEAD_IN_FLIGHT_MAX` look-ups started ahead are in flight (a burst of new senders).
   */
  start(botId: string | null, senderKey: string | null): void {
    if (!botId || !senderKey?.startsWith(PSID_PREFIX)) return;
    if (this.inFlight >= AHEAD_IN_FLIGHT_MAX) return;
    const psid = senderKey.slice(PSID_PREFIX.length);
    const key = keyOf(botId, psid);
    if (this.lookedUpKeys.has(key) || this.started.has(key)) return;
    this.inFlight += 1;
    const lookUp = this.lookUp(botId, psid);
    // Taken later, or dropped: a failure (Postgres away while reading the page) is the taker's.
    lookUp.catch(() => undefined).finally(() => (this.inFlight -= 1));
    this.started.set(key, lookUp);
  }

  /**
   * The profile of a PSID contact never looked up: the look-up started for it, or a new one.
   * Resolves to null when the page is not connected or Meta did not answer with a profile.
   */
  take(botId: string, psid: string): Promise<GraphProfile | null> {
    const key = keyOf(botId, psid);
    const started = this.started.get(key);
    this.started.delete(key);
    this.lookedUpKeys.set(key, true);
    return started ?? this.lookUp(botId, psid);
  }

  /** Notes a PSID contact Postgres says was looked up; a look-up started for it is dropped. */
  lookedUp(botId: string, psid: string): void {
    const key = keyOf(botId, psid);
    this.started.delete(key);
    this.lookedUpKeys.set(key, true);
  }

  /**
   * Whether Meta answered every look-up of the last 30 s within 500 ms and none in flight has
   * waited longer: a batch that waits for a look-up then takes a few ms beyond the batch itself.
   */
  get answeringFast(): boolean {
    const now = performance.now();
    const [oldest] = this.startedAt;
    if (oldest && now - oldest.at >= SLOW_LOOKUP_MS) this.slowUntil = now + SLOW_FOR_MS;
    return now >= this.slowUntil;
  }

  private async lookUp(botId: string, psid: string): Promise<GraphProfile | null> {
    const started = { at: performance.now() };
    this.startedAt.add(started);
    try {
      const page = await this.pages.pageOf(botId);
      return page ? await this.graph.getProfile(page.accessToken, psid) : null;
    } finally {
      this.startedAt.delete(started);
      const took = performance.now() - started.at;
      if (took >= SLOW_LOOKUP_MS) this.slowUntil = performance.now() + SLOW_FOR_MS;
    }
  }
}

const PSID_PREFIX = 'psid:';

function keyOf(botId: string, psid: string): string {
  return `${botId}:${psid}`;
}
