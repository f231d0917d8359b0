import { type GroupCommitOptions } from '../../common/group-commit';

/** Items handled in one transaction at most; enough to turn a burst into few commits. */
export const BATCH_MAX = 50;
/**
 * Batches running at once. One: overlapping batches compete for the same CPU and the same rows
 * and each gets slower (measured at 300 deliveries/s on an early build, whose batches were ten
 * times slower than today's: 30-40 ms a batch alone, 50-130 ms two or four at a time), while
 * items arriving meanwhile gather into the next batch anyway.
 */
const BATCHES_IN_PARALLEL = 1;
/**
 * Under load, a batch that would take a lone item waits 2 ms for the next ones (GroupCommit's
 * `linger`). A batch takes about 3 ms, so at 300 deliveries/s (3.3 ms apart) each took one item
 * and every delivery paid a transaction, its round trips and its commit. Waiting 2 ms while
 * items come less than 4 ms apart (over 250/s) made 1.6 items a batch: 0.47 ms less CPU per
 * delivery (4 of 4 paired rounds), e2e p50 6 → 9 ms, p99 unchanged (`npm run bench:compare`);
 * waiting 1 ms saved a third of that. At 150/s (7 ms apart) a wait gathered nothing and only
 * added latency: evenly paced traffic that slow never waits, and random arrivals at that rate
 * rarely do (only while a run of them comes under 4 ms apart on average).
 */
const BATCH_LINGER = { gapMs: 4, waitMs: 2 };

/**
 * How MessengerInboundService groups the items it is asked for into batches (one transaction
 * each, a GroupCommit): at most `BATCH_MAX` items, one batch at a time, lingering under load.
 */
export const INBOUND_BATCHING: Pick<GroupCommitOptions, 'maxItems' | 'parallel' | 'linger'> = {
  maxItems: BATCH_MAX,
  parallel: BATCHES_IN_PARALLEL,
  linger: BATCH_LINGER,
};
