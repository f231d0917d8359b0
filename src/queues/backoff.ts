const MAX_DELAY_MS = 5 * 60_000;

/**
 * Exponential backoff with full jitter: a random delay in [base/2, base * 2^(attempt-1)], capped.
 * Jitter spreads retries of many jobs that failed together (e.g. during a Graph API outage).
 */
export function jitteredBackoff(
  attemptsMade: number,
  baseDelayMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(MAX_DELAY_MS, baseDelayMs * 2 ** Math.max(0, attemptsMade - 1));
  const floor = Math.min(ceiling, baseDelayMs / 2);
  return Math.round(floor + random() * (ceiling - floor));
}
