interface Waiting<T, R> {
  items: T[];
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
  /** Fails the submission if no flush took it in time (`startWithinMs`). */
  timer?: NodeJS.Timeout;
  once: boolean;
}

/** How one submission is flushed (GroupCommit.submit). */
export interface SubmitOptions {
  /**
   * Fails the submission with GroupCommitNotStarted, nothing of it flushed, if no flush has taken
   * it within this many ms (flushes before it running long, or many waiting ahead).
   */
  startWithinMs?: number;
  /** A failed flush fails this submission with it: never tried again alone (`retryAlone`). */
  once?: boolean;
}

/** A submission no flush took within its `startWithinMs`: nothing of it was flushed. */
export class GroupCommitNotStarted extends Error {
  constructor(ms: number) {
    super(`No flush took the items within ${ms} ms`);
  }
}

export interface GroupCommitOptions {
  /** Items flushed together at most; a submission is never split. */
  maxItems?: number;
  /** Flushes running at once. */
  parallel?: number;
  /**
   * When set, a failed flush of several submissions is tried again one submission at a time, so
   * one bad submission fails alone; this is called first (to log it). Unset, all of them fail.
   */
  retryAlone?: (error: unknown, submissions: number) => void;
  /**
   * A group commit's delay, taken only under load (as PostgreSQL's `commit_delay`, which waits
   * only while `commit_siblings` transactions are open): while submissions arrive less than a
   * tier's `gapMs` apart on average, a flush that would start with a lone submission first waits
   * that tier's `waitMs` (ms), so that the next ones join it; the tier with the smallest `gapMs`
   * above the mean gap applies. Slower arrivals than every tier's never wait. Unset, never.
   * Source: https://www.postgresql.org/docs/15/wal-configuration.html
   */
  linger?: LingerTier[];
}

/**
 * One step of GroupCommitOptions.linger: below a mean gap of `gapMs`, a lone submission waits
 * `waitMs`, or with `untilNext` only until the next submission comes (the flush then takes both).
 */
export interface LingerTier {
  gapMs: number;
  waitMs: number;
  untilNext?: boolean;
}

/** Weight of the newest gap in the mean gap between submissions (an exponential moving mean). */
const GAP_WEIGHT = 0.2;

/**
 * Group commit: callers submit items and wait for their own results, while items submitted while
 * `parallel` flushes are running are written together by the next one. An idle system flushes at
 * once (no added delay, unless `linger` is set and submissions come close together); a busy one
 * turns many small writes into few large ones.
 */
export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private running = 0;
  /** When the last flush ended with nothing left to run (ms since epoch; never: -Infinity). */
  private idleSince = Number.NEGATIVE_INFINITY;
  private readonly maxItems: number;
  private readonly parallel: number;
  /** When the last submission came (performance.now(), ms). */
  private lastSubmitAt = Number.NEGATIVE_INFINITY;
  /** Mean gap between submissions, ms (Infinity until two came). */
  private meanGapMs = Number.POSITIVE_INFINITY;
  /** A flush is waiting out its `linger` before it takes its batch. */
  private lingering = false;
  /** Ends the linger at once, set while a tier with `untilNext` lingers. */
  private endLinger: (() => void) | undefined;

  /** `linger`'s tiers, smallest `gapMs` first. */
  private readonly tiers: LingerTier[];

  /** `flush` returns one result per item, in the order given. */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions = {},
  ) {
    this.maxItems = options.maxItems ?? 500;
    this.parallel = options.parallel ?? 1;
    // A tier that waits no time is no tier: its flush starts at once, as without one.
    this.tiers = (options.linger ?? [])
      .filter((tier) => tier.waitMs > 0)
      .sort((a, b) => a.gapMs - b.gapMs);
  }

  /** Whether a flush is running or items are waiting for one (the next flush will come). */
  get busy(): boolean {
    return this.running > 0 || this.waiting.length > 0;
  }

  /** Items submitted and not taken by a flush yet. */
  get waitingItems(): number {
    return this.waiting.reduce((sum, entry) => sum + entry.items.length, 0);
  }

  /** How long no flush has run nor waited, in ms: 0 while busy, Infinity before the first flush. */
  get idleMs(): number {
    return this.busy ? 0 : Date.now() - this.idleSince;
  }

  /**
   * Resolves to one result per item, once a flush wrote them; rejects with the flush's error, or
   * GroupCommitNotStarted (`startWithinMs`).
   */
  submit(items: T[], options: SubmitOptions = {}): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (this.tiers.length > 0) this.noteGap();
    const result = new Promise<R[]>((resolve, reject) => {
      const entry: Waiting<T, R> = { items, resolve, reject, once: options.once ?? false };
      const ms = options.startWithinMs;
      if (ms !== undefined) entry.timer = setTimeout(() => this.giveUp(entry, ms), ms);
      this.waiting.push(entry);
    });
    // After the push: the flush the linger ends takes this submission too. Before pump: a
    // lone submission's own linger starts there, so it never ends its own wait.
    this.endLinger?.();
    this.pump();
    return result;
  }

  /** Fails a submission no flush took within `ms` (SubmitOptions.startWithinMs). */
  private giveUp(entry: Waiting<T, R>, ms: number): void {
    const index = this.waiting.indexOf(entry);
    if (index < 0) return;
    this.waiting.splice(index, 1);
    entry.reject(new GroupCommitNotStarted(ms));
    if (!this.busy) this.idleSince = Date.now();
  }

  /** Folds the gap since the previous submission into `meanGapMs`. */
  private noteGap(): void {
    const now = performance.now();
    const gap = now - this.lastSubmitAt;
    this.lastSubmitAt = now;
    this.meanGapMs = Number.isFinite(this.meanGapMs)
      ? this.meanGapMs + GAP_WEIGHT * (gap - this.meanGapMs)
      : gap;
  }

  private pump(): void {
    // A lingering flush takes what comes meanwhile: no other starts for the same submissions.
    while (!this.lingering && this.running < this.parallel && this.waiting.length > 0) {
      this.running++;
      const tier = this.lingerTier();
      if (tier) this.lingering = true;
      const flushed = tier
        ? this.linger(tier).then(() => {
            this.lingering = false;
            const batch = this.takeBatch();
            // Past maxItems, what came meanwhile goes to a free flush, if any.
            this.pump();
            return this.run(batch);
          })
        : this.run(this.takeBatch());
      void flushed.finally(() => {
        this.running--;
        this.pump();
        if (!this.busy) this.idleSince = Date.now();
      });
    }
  }

  /** The tier the flush about to start lingers by (`linger`): none but for a lone submission under load. */
  private lingerTier(): LingerTier | undefined {
    // Submissions waiting together, or one that fills a flush alone, have nothing to wait for.
    if (this.waiting.length > 1 || this.waiting[0].items.length >= this.maxItems) return undefined;
    return this.tiers.find((step) => this.meanGapMs < step.gapMs);
  }

  /** Resolves once `tier`'s wait is over, or (`untilNext`) once the next submission came. */
  private linger(tier: LingerTier): Promise<void> {
    return new Promise((resolve) => {
      const end = (): void => {
        clearTimeout(timer);
        this.endLinger = undefined;
        resolve();
      };
      const timer = setTimeout(end, tier.waitMs);
      if (tier.untilNext) this.endLinger = end;
    });
  }

  private takeBatch(): Waiting<T, R>[] {
    const batch: Waiting<T, R>[] = [];
    let count = 0;
    while (
      this.waiting.length > 0 &&
      (batch.length === 0 || count + this.waiting[0].items.length <= this.maxItems)
    ) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      batch.push(next);
      count += next.items.length;
    }
    return batch;
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const results = await this.flush(batch.flatMap((entry) => entry.items));
      let offset = 0;
      for (const entry of batch) {
        entry.resolve(results.slice(offset, offset + entry.items.length));
        offset += entry.items.length;
      }
    } catch (error) {
      const { retryAlone } = this.options;
      if (!retryAlone || batch.length === 1) {
        for (const entry of batch) entry.reject(error);
        return;
      }
      retryAlone(error, batch.length);
      // Those to fail at once first, so that they do not wait for the others' retries.
      for (const entry of batch) if (entry.once) entry.reject(error);
      for (const entry of batch.filter((waiting) => !waiting.once)) {
        // A flush that throws before returning its promise fails its entry, not the others.
        await Promise.resolve()
          .then(() => this.flush(entry.items))
          .then(entry.resolve, entry.reject);
      }
    }
  }
}
