import { GroupCommit } from '../../common/group-commit';
import { INBOUND_BATCHING } from './batching';

/**
 * The inbound batches' lingering, on a GroupCommit with their options and fake timers: items sent
 * evenly `gapMs` apart, each flush recorded with the items it took and when (ms after the first).
 */
async function flushesAt(gapMs: number, count: number): Promise<{ items: number[]; at: number }[]> {
  const flushes: { items: number[]; at: number }[] = [];
  const group = new GroupCommit<number, number>((items) => {
    flushes.push({ items, at: Date.now() - 1_000_000 });
    return Promise.resolve(items);
  }, INBOUND_BATCHING);
  const done: Promise<number[]>[] = [];
  for (let n = 0; n < count; n++) {
    done.push(group.submit([n]));
    await jest.advanceTimersByTimeAsync(gapMs);
  }
  await jest.advanceTimersByTimeAsync(100);
  await Promise.all(done);
  return flushes;
}

describe('INBOUND_BATCHING', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('pairs items 7 ms apart (about 150 deliveries/s): one transaction for two', async () => {
    const flushes = await flushesAt(7, 20);
    // The first comes before any gap is known, and the last finds no partner; the rest pair up.
    expect(flushes.map((flush) => flush.items)).toEqual([
      [0],
      ...[...Array(9).keys()].map((k) => [2 * k + 1, 2 * k + 2]),
      [19],
    ]);
    // The first of a pair waits for its partner, 7 ms; the partner is taken as it comes.
    flushes.slice(1, -1).forEach((flush, k) => expect(flush.at).toBe(7 * (2 * k + 2)));
    // The last waits 8 ms at most.
    expect(flushes.at(-1)!.at).toBe(7 * 19 + 8);
  });

  it('makes a lone item wait 2 ms, not a gap, while items come 3 ms apart (over 300/s)', async () => {
    const gap = 3;
    const flushes = await flushesAt(gap, 30);
    // A lone item waits 2 ms: flushed before the next comes.
    expect(flushes.length).toBeGreaterThan(20);
    for (const flush of flushes.slice(1)) expect(flush.at - flush.items[0] * gap).toBe(2);
  });

  it('never waits for items 10 ms apart (100/s): each is flushed alone as it comes', async () => {
    const flushes = await flushesAt(10, 10);
    expect(flushes.map((flush) => flush.items)).toEqual([...Array(10).keys()].map((n) => [n]));
    flushes.forEach((flush, n) => expect(flush.at).toBe(n * 10));
  });
});
