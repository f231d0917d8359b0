import { Injectable } from '@nestjs/common';
import type Redis from 'ioredis';
import { AppConfig } from '../../config';
import { InjectRedis } from '../../queues';

/** How far ahead a reply may book a slot; further, its send fails as retryable. */
const MAX_WAIT_MS = 5_000;
/**
 * How far ahead of now bulk sends may book slots. A reply books the next free slot after them, so
 * this is the longest a reply waits behind a broadcast; bulk sends of every process stay within it.
 */
export const BULK_LOOKAHEAD_MS = 60;
/** A process books more bulk slots when the ones it holds cover less than this. */
const BULK_REFILL_MS = BULK_LOOKAHEAD_MS / 2;
/**
 * A slot nobody took within this long after its time is given up: a process that stalled must
 * not send a backlog of old slots next to the current ones. And a booking whose answer took
 * longer than this to read cannot tell its slots' times that closely: they are given up too.
 */
const LATE_MS = 100;
/**
 * Bookings in a row whose answers came too late to time their slots (LATE_MS) before the next one
 * is taken as read anyway (late by its round trip, never early): a Redis that stays that slow
 * must not stop every send. A slow answer is not always a stall after the booking (commands
 * queued while Redis reconnects, a burst of bookings): its slots are given up all the same, which
 * costs budget for a moment, never the rate.
 */
const LATE_BOOKINGS_MAX = 3;

/**
 * Books up to ARGV[2] slots spaced ARGV[1] ms apart from the page's next free slot (KEYS[1], ms
 * on Redis's clock), as long as a slot lies at most ARGV[3] ms ahead of now. Answers
 * `{ booked, offset of the first slot from now (ms) }`, or `{ 0, ms until one would fit }`.
 * The clock is Redis's, so every process agrees on it.
 */
const BOOK_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local interval = tonumber(ARGV[1])
local ahead = tonumber(ARGV[3])
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
if free < now then free = now end
if free > now + ahead then return {0, tostring(free - now - ahead)} end
local n = math.min(tonumber(ARGV[2]), math.floor((now + ahead - free) / interval) + 1)
local nextFree = free + n * interval
redis.call('SET', KEYS[1], tostring(nextFree), 'PX', math.ceil(nextFree - now) + 1000)
return {n, tostring(free - now)}
`;

type BookingRedis = Redis & {
  bookSendSlots(key: string, interval: number, count: number, ahead: number): Promise<unknown>;
};

/** Slots booked for bulk sends of one page in this process, and their booking in flight. */
interface BulkSlots {
  /** Slot times (epoch ms, this process's clock) no bulk send took yet, earliest first. */
  times: number[];
  /** Slots bulk sends took and are waiting for: a reply of this process may take one over. */
  held: Set<Ticket>;
  booking: Promise<void> | null;
  /** Refused: no booking before this time (epoch ms). */
  retryAt: number;
  /** Bookings given up in a row because their answers came too late to time them. */
  late: number;
}

/** A bulk send's slot while it waits for its time; `stolen` when a reply took it over. */
interface Ticket {
  at: number;
  stolen: boolean;
}

const sleep = (ms: number): Promise<void> =>
  ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();

/**
 * Meta allows about 300 sends per second per page. The budget lives in Redis as each page's next
 * free send slot (a generic cell rate algorithm): slots are 1/rate apart on Redis's clock, so
 * every worker process of the deployment shares them, and a send goes out at its slot's time.
 * Unused time is never saved up: an idle page's next slot is now, so no burst follows a lull.
 *
 * Replies go first: a reply books the next free slot however far ahead it lies (up to
 * MAX_WAIT_MS), while bulk sends (broadcasts) only book slots within BULK_LOOKAHEAD_MS of now. So
 * a reply waits at most that long behind a broadcast, and a broadcast takes every slot replies
 * leave, up to the whole rate when nobody writes. Bulk slots are booked several per Redis round
 * trip (up to the lookahead's worth) and booked again before they run out, so a broadcast keeps
 * the page's rate without a round trip per send. A reply in a process whose bulk sends hold slots
 * of the page takes the soonest of them over instead of waiting behind them.
 */
@Injectable()
export class SendRateLimiter {
  private readonly intervalMs: number;
  private readonly bulkBatch: number;
  private readonly bulk = new Map<string, BulkSlots>();
  private readonly keyPrefix: string;
  private readonly redis: BookingRedis;

  constructor(@InjectRedis() redis: Redis, config: AppConfig) {
    const perSecond = config.messenger.sendRatePerSecond;
    this.intervalMs = 1000 / perSecond;
    this.bulkBatch = Math.max(1, Math.floor(BULK_LOOKAHEAD_MS / this.intervalMs));
    this.keyPrefix = `${config.queuePrefix}:send-slot:`;
    if (!('bookSendSlots' in redis))
      redis.defineCommand('bookSendSlots', { numberOfKeys: 1, lua: BOOK_SCRIPT });
    this.redis = redis as BookingRedis;
  }

  /**
   * Resolves when a send for `pageId` may go out, with its slot's time (epoch ms, this process's
   * clock; never earlier than the slot on Redis's clock). Rejects when Redis cannot tell, or when
   * no slot is free within 5 s (the send is then retried as a transient failure). `bulk` sends
   * yield to replies (see the class).
   */
  async acquire(pageId: string, priority: 'reply' | 'bulk' = 'reply'): Promise<number> {
    const deadline = Date.now() + MAX_WAIT_MS;
    return priority === 'bulk' ? this.acquireBulk(pageId, deadline) : this.acquireReply(pageId);
  }

  private async acquireReply(pageId: string): Promise<number> {
    // Slots bulk sends of this process are booking now are theirs to hand over too: a reply that
    // booked beside them would come after them (CI once saw one bulk send go between).
    await this.bulk.get(pageId)?.booking?.catch(() => undefined);
    const taken = this.takeOverBulkSlot(pageId);
    if (taken !== undefined) {
      await sleep(taken - Date.now());
      return taken;
    }
    for (let late = 0; ; late++) {
      const { booked, first, timed } = await this.book(pageId, 1, MAX_WAIT_MS);
      if (booked === 0)
        throw new Error(`send budget of page ${pageId} taken for ${MAX_WAIT_MS} ms ahead`);
      // Timed by a late answer, the slot could fall beside later ones (the process stalled
      // between Redis's answer and its read): given up, it stays unused, never over the rate.
      if (!timed && late + 1 < LATE_BOOKINGS_MAX) continue;
      await sleep(first - Date.now());
      return first;
    }
  }

  /**
   * The soonest slot bulk sends of this process hold for the page, taken over for a reply (the
   * bulk send waiting for it asks again): a reply sent by a process that is also running a
   * broadcast does not even wait for the slots booked ahead. Undefined when none is held.
   */
  private takeOverBulkSlot(pageId: string): number | undefined {
    const slots = this.bulk.get(pageId);
    if (!slots) return undefined;
    const now = Date.now();
    while (slots.times.length > 0 && slots.times[0] < now - LATE_MS) slots.times.shift();
    let soonest: Ticket | undefined;
    for (const ticket of slots.held)
      if (!ticket.stolen && ticket.at >= now - LATE_MS && (!soonest || ticket.at < soonest.at))
        soonest = ticket;
    if (slots.times.length > 0 && (!soonest || slots.times[0] <= soonest.at))
      return slots.times.shift();
    if (!soonest) return undefined;
    soonest.stolen = true;
    return soonest.at;
  }

  private async acquireBulk(pageId: string, deadline: number): Promise<number> {
    let slots = this.bulk.get(pageId);
    if (!slots) {
      slots = { times: [], held: new Set(), booking: null, retryAt: 0, late: 0 };
      this.bulk.set(pageId, slots);
    }
    for (;;) {
      const now = Date.now();
      while (slots.times.length > 0 && slots.times[0] < now - LATE_MS) slots.times.shift();
      const at = slots.times.shift();
      if (at !== undefined) {
        const last = slots.times[slots.times.length - 1] ?? at;
        // Booked again before they run out, so the page's slots keep flowing to this broadcast.
        if (last < now + BULK_REFILL_MS) this.refill(pageId, slots).catch(() => undefined);
        const ticket: Ticket = { at, stolen: false };
        slots.held.add(ticket);
        await sleep(at - Date.now());
        slots.held.delete(ticket);
        if (ticket.stolen) continue;
        return at;
      }
      if (now > deadline)
        throw new Error(`send budget of page ${pageId} taken by replies for ${MAX_WAIT_MS} ms`);
      if (!slots.booking && now < slots.retryAt) await sleep(slots.retryAt - now);
      else await (slots.booking ?? this.refill(pageId, slots));
    }
  }

  /** Books the next bulk slots of the page (one booking in flight per page and process). */
  private refill(pageId: string, slots: BulkSlots): Promise<void> {
    if (slots.booking) return slots.booking;
    if (Date.now() < slots.retryAt) return Promise.resolve();
    slots.booking = (async () => {
      try {
        const { booked, first, timed } = await this.book(pageId, this.bulkBatch, BULK_LOOKAHEAD_MS);
        if (booked === 0) {
          slots.retryAt = first;
          return;
        }
        // Slots a late answer timed are given up, as a reply's are (acquireReply).
        if (!timed && ++slots.late < LATE_BOOKINGS_MAX) return;
        slots.late = 0;
        const start = slots.times[slots.times.length - 1] ?? -Infinity;
        for (let i = 0; i < booked; i++)
          slots.times.push(Math.max(first + i * this.intervalMs, start));
      } finally {
        slots.booking = null;
      }
    })();
    return slots.booking;
  }

  /**
   * Books up to `count` slots within `aheadMs` (one round trip). `first`: the first slot's time
   * on this process's clock (epoch ms), or when one would fit if none was booked. Redis booked
   * it at an offset from its own now, some moment between asking and reading the answer, so the
   * time taken is the latest it can be (never early) and late by up to that round trip: `timed`
   * says the round trip took LATE_MS at most.
   */
  private async book(
    pageId: string,
    count: number,
    aheadMs: number,
  ): Promise<{ booked: number; first: number; timed: boolean }> {
    const sentAt = Date.now();
    const [booked, offset] = (await this.redis.bookSendSlots(
      this.keyPrefix + pageId,
      this.intervalMs,
      count,
      aheadMs,
    )) as [number, string];
    const readAt = Date.now();
    const slots = Number(booked);
    // None booked: the wait, at least 1 ms, so a refused booking is never asked again at once.
    return {
      booked: slots,
      first: readAt + Math.max(slots === 0 ? 1 : 0, Number(offset)),
      timed: readAt - sentAt <= LATE_MS,
    };
  }
}
