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
 * `linger`): 2 ms while items come less than 4 ms apart on average (over 250 deliveries/s). A
 * batch takes about 3 ms, so at 300/s (3.3 ms apart) each took one item and every delivery paid
 * a transaction, its round trips and its commit. The wait made 1.6 items a batch: 0.47 ms less
 * CPU per delivery (4 of 4 paired rounds), e2e p50 6 → 9 ms, p99 unchanged; waiting 1 ms saved a
 * third of that.
 */
const UNDER_LOAD: LingerTier = { gapMs: 4, waitMs: 2 };
/**
 * With MESSENGER_INBOUND_PAIRING, items less than 7.5 ms apart (over 133/s) wait for the next
 * one too, 8 ms at most (at least one gap), so that evenly paced items go in pairs. At 150/s
 * (6.7 ms apart) a batch is done before the next item comes, so every delivery pays a
 * transaction of its own and costs a third more than at 300/s. Pairing there made 0.55
 * transactions per delivery instead of 1.01 and took 1.1 to 1.7 ms off 5.8 to 6.6 ms of CPU
 * per delivery (lower in 3 of 3 paired rounds in each of three runs of `npm run bench:compare` on
 * a 2-core AMD EPYC: fixed waits of 7 and 8 ms were tried first; this one waits until the next
 * item); e2e p50 went from 7-9 to 13-14 ms: the first of a pair waits one gap for the second. Off
 * by default, since that wait is the answer's.
 */
const PAIRING: LingerTier = { gapMs: 7.5, waitMs: 8, untilNext: true };

/**
 * How MessengerInboundService groups the items it is asked for into batches (one transaction
 * each, a GroupCommit): at most `BATCH_MAX` items, one batch at a time, lingering under load, and
 * with `pairing` (MESSENGER_INBOUND_PAIRING) pairing items at moderate rates.
 */
export function inboundBatching(
  pairing: boolean,
): Pick<GroupCommitOptions, 'maxItems' | 'parallel' | 'linger'> {
  return {
    maxItems: BATCH_MAX,
    parallel: BATCHES_IN_PARALLEL,
    linger: pairing ? [UNDER_LOAD, PAIRING] : [UNDER_LOAD],
  };
}
