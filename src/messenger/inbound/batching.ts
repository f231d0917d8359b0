import { type GroupCommitOptions, type LingerTier } from '../../common/group-commit';

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
 * Under load, a batch that would take a lone item first waits for the next ones (GroupCommit's
 * `linger`), as long as the next is expected within the wait:
 * - Items less than 4 ms apart on average (over 250 deliveries/s): 2 ms. A batch takes about
 *   3 ms, so at 300/s (3.3 ms apart) each took one item and every delivery paid a transaction,
 *   its round trips and its commit. The wait made 1.6 items a batch: 0.47 ms less CPU per
 *   delivery (4 of 4 paired rounds), e2e p50 6 → 9 ms, p99 unchanged; waiting 1 ms saved a third
 *   of that.
 * - Less than 7.5 ms apart (over 133/s): until the next item comes, 8 ms at most (at least one
 *   gap), so that evenly paced items go in pairs. At 150/s (6.7 ms apart) a batch was done
 *   before the next item came, so every delivery paid a transaction of its own and cost a third
 *   more than at 300/s. Waiting 7 ms there made 0.55 transactions per delivery instead of 1.01:
 *   1.40 ms less CPU per delivery (6.21 → 4.68, 3 of 3 paired rounds on a 2-core AMD EPYC), e2e
 *   p50 +3.7 ms (`npm run bench:compare`). Only the first of a pair waits, for the second, which
 *   is taken as it comes: a person's answer comes a few ms later, which Messenger's own delivery
 *   dwarfs.
 * Items further apart never wait: a batch then costs what it costs, and the machine is idle.
 */
const BATCH_LINGER: LingerTier[] = [
  { gapMs: 4, waitMs: 2 },
  { gapMs: 7.5, waitMs: 8, untilNext: true },
];

/**
 * How MessengerInboundService groups the items it is asked for into batches (one transaction
 * each, a GroupCommit): at most `BATCH_MAX` items, one batch at a time, lingering under load.
 */
export const INBOUND_BATCHING: Pick<GroupCommitOptions, 'maxItems' | 'parallel' | 'linger'> = {
  maxItems: BATCH_MAX,
  parallel: BATCHES_IN_PARALLEL,
  linger: BATCH_LINGER,
};
