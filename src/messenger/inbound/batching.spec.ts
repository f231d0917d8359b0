import { GroupCommit } from '../../common/group-commit';
import { inboundBatching } from './batching';

/**
 * The inbound batches' lingering, on a GroupCommit with their options (`pairing`, as
 * MESSENGER_INBOUND_PAIRING) and fake timers: items sent evenly `gapMs` apart, each flush
 * recorded with the items it took and when (ms after the first).
 */
async function flushesAt(
  pairing: boolean,
  gapMs: number,
  count: number,
): Promise<{ items: number[]; at: number }[]> {
  const flushes: { items: number[]; at: number }[] = [];
  const group = new GroupCommit<number, number>((items) => {
    flushes.push({ items, at: Date.now() - 1_000_000 });
    return Promise.resolve(items);
  }, inboundBatching(pairing));
  const done: Promise<number[]>[] = [];
  for (let n = 0; n < count; n++) {
    done.push(group.submit([n]));
    await jest.advanceTimersByTimeAsync(gapMs);
  }
  await jest.advanceTimersByTimeAsync(100);
  await Promise.all(done);
  return flushes;
}

describe('inboundBatching', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('with pairing, pairs items 7 ms apart (about 150 deliveries/s): one transaction for two', async () => {
    const flushes = await flushesAt(true, 7, 20);
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

  it.each([false, true])(
    'makes a lone item wait 2 ms, not a gap, while items come 3 ms apart (over 300/s); pairing %s',
    async (pairing) => {
      const gap = 3;
      const flushes = await flushesAt(pairing, gap, 30);
      // A lone item waits 2 ms: flushed before the next comes.
      expect(flushes.map((flush) => flush.items)).toEqual([...Array(30).keys()].map((n) => [n]));
      for (const flush of flushes.slice(1)) expect(flush.at - flush.items[0] * gap).toBe(2);
    },
  );

  it.each([
    [false, 7],
    [false, 10],
    [true, 10],
  ])(
    'with pairing %s, never waits for items %i ms apart: each is flushed alone as it comes',
    async (pairing, gap) => {
      const flushes = await flushesAt(pairing, gap, 10);
      expect(flushes.map((flush) => flush.items)).toEqual([...Array(10).keys()].map((n) => [n]));
      flushes.forEach((flush, n) => expect(flush.at).toBe(n * gap));
    },
  );
});
