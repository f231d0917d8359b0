import { GroupCommit, type GroupCommitOptions } from './group-commit';

/** A group whose first flush waits for `release()`, recording each flush's items. */
function heldGroup(options: GroupCommitOptions) {
  const flushes: number[][] = [];
  let released: () => void = () => undefined;
  const group = new GroupCommit<number, number>(async (items) => {
    flushes.push(items);
    if (flushes.length === 1) await new Promise<void>((resolve) => (released = resolve));
    return items;
  }, options);
  return { group, flushes, release: () => released() };
}

describe('GroupCommit', () => {
  it('flushes at once when idle and groups what arrives during a flush', async () => {
    const flushes: number[][] = [];
    let release: () => void = () => undefined;
    const group = new GroupCommit<number, number>(async (items) => {
      flushes.push(items);
      if (flushes.length === 1) await new Promise<void>((resolve) => (release = resolve));
      return items.map((n) => n * 10);
    });
    const first = group.submit([1]);
    const second = group.submit([2, 3]);
    const third = group.submit([4]);
    release();
    expect(await first).toEqual([10]);
    expect(await second).toEqual([20, 30]);
    expect(await third).toEqual([40]);
    expect(flushes).toEqual([[1], [2, 3, 4]]);
  });

  it('tells how long it has been idle: Infinity before any flush, 0 while busy', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    try {
      let release: () => void = () => undefined;
      const group = new GroupCommit<number, number>(async (items) => {
        await new Promise<void>((resolve) => (release = resolve));
        return items;
      });
      expect(group.idleMs).toBe(Infinity);
      const flushed = group.submit([1]);
      expect(group.idleMs).toBe(0);
      jest.advanceTimersByTime(300);
      expect(group.idleMs).toBe(0);
      release();
      await flushed;
      await Promise.resolve();
      expect(group.idleMs).toBe(0);
      jest.advanceTimersByTime(40);
      expect(group.idleMs).toBe(40);
    } finally {
      jest.useRealTimers();
    }
  });

  it('caps a flush at maxItems without splitting a submission', async () => {
    const { group, flushes, release } = heldGroup({ maxItems: 3 });
    const all = [group.submit([0]), group.submit([1, 2]), group.submit([3, 4]), group.submit([5])];
    release();
    await Promise.all(all);
    expect(flushes).toEqual([[0], [1, 2], [3, 4, 5]]);
  });

  it('rejects every submission of a failed flush, and keeps working afterwards', async () => {
    let fail = true;
    const group = new GroupCommit<number, number>((items) => {
      if (fail) return Promise.reject(new Error('database down'));
      return Promise.resolve(items);
    });
    await expect(group.submit([1])).rejects.toThrow('database down');
    fail = false;
    await expect(group.submit([2])).resolves.toEqual([2]);
    await expect(group.submit([])).resolves.toEqual([]);
  });
});

describe('GroupCommit with parallel flushes', () => {
  it('runs up to `parallel` flushes at once and groups the rest into the next free one', async () => {
    const flushes: number[][] = [];
    const releases: (() => void)[] = [];
    let running = 0;
    let mostRunning = 0;
    const group = new GroupCommit<number, number>(
      async (items) => {
        flushes.push(items);
        running++;
        mostRunning = Math.max(mostRunning, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return items;
      },
      { parallel: 2 },
    );
    const all = [1, 2, 3, 4, 5].map((n) => group.submit([n]));
    expect(flushes).toEqual([[1], [2]]);
    releases.shift()!();
    await all[0];
    await new Promise((resolve) => setImmediate(resolve));
    expect(flushes).toEqual([[1], [2], [3, 4, 5]]);
    while (releases.length > 0) releases.shift()!();
    await Promise.all(all);
    expect(mostRunning).toBe(2);
  });
});

describe('GroupCommit retrying alone', () => {
  it('fails only the submission the flush refuses, once the group failed', async () => {
    const flushes: number[][] = [];
    const retried: number[] = [];
    let release: () => void = () => undefined;
    const group = new GroupCommit<number, number>(
      async (items) => {
        flushes.push(items);
        if (flushes.length === 1) await new Promise<void>((resolve) => (release = resolve));
        if (items.includes(13)) throw new Error('13 refused');
        return items;
      },
      { retryAlone: (_error, submissions) => retried.push(submissions) },
    );
    const first = group.submit([0]);
    const all = [group.submit([1, 2]), group.submit([13]), group.submit([4])];
    release();
    await first;
    const settled = await Promise.allSettled(all);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'failed'))).toEqual([
      [1, 2],
      'failed',
      [4],
    ]);
    expect(flushes).toEqual([[0], [1, 2, 13, 4], [1, 2], [13], [4]]);
    expect(retried).toEqual([3]);
  });

  it('fails a `once` submission of a failed flush at once, and retries only the others', async () => {
    const flushes: number[][] = [];
    const failing = new GroupCommit<number, number>(
      (items) => {
        flushes.push(items);
        if (items.includes(13)) throw new Error('13 refused');
        return Promise.resolve(items);
      },
      { retryAlone: () => undefined },
    );
    const first = failing.submit([0]);
    const all = [failing.submit([1]), failing.submit([13]), failing.submit([5], { once: true })];
    await first;
    const settled = await Promise.allSettled(all);
    expect(settled.map((s) => (s.status === 'fulfilled' ? s.value : 'failed'))).toEqual([
      [1],
      'failed',
      'failed',
    ]);
    expect(flushes).toEqual([[0], [1, 13, 5], [1], [13]]);
  });

  it('fails a submission no flush took within startWithinMs, flushing nothing of it', async () => {
    jest.useFakeTimers();
    try {
      const { group, flushes, release } = heldGroup({});
      const first = group.submit([1]);
      const late = group.submit([2], { startWithinMs: 100 });
      const other = group.submit([3]);
      const settledLate = late.then(
        () => 'flushed',
        (error: Error) => error.constructor.name,
      );
      await jest.advanceTimersByTimeAsync(100);
      expect(await settledLate).toBe('GroupCommitNotStarted');
      expect(group.waitingItems).toBe(1);
      release();
      await first;
      expect(await other).toEqual([3]);
      expect(flushes).toEqual([[1], [3]]);
      // Taken in time, it is not failed later.
      const taken = group.submit([4], { startWithinMs: 100 });
      expect(await taken).toEqual([4]);
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('rejects a lone submission with the flush error, without retrying', async () => {
    const retryAlone = jest.fn();
    const group = new GroupCommit<number, number>(() => Promise.reject(new Error('down')), {
      retryAlone,
    });
    await expect(group.submit([1])).rejects.toThrow('down');
    expect(retryAlone).not.toHaveBeenCalled();
  });

  it('fails only its own submission when the flush throws instead of rejecting, alone', async () => {
    let calls = 0;
    let release: () => void = () => undefined;
    const flush = (items: number[]): Promise<number[]> => {
      calls++;
      if (calls === 1) return new Promise((resolve) => (release = () => resolve(items)));
      if (calls === 2) return Promise.reject(new Error('together'));
      if (items[0] === 2) throw new Error('thrown, not rejected');
      return Promise.resolve(items);
    };
    const group = new GroupCommit<number, number>(flush, { retryAlone: () => undefined });
    const first = group.submit([0]);
    const outcomes = Promise.allSettled([group.submit([1]), group.submit([2]), group.submit([3])]);
    release();
    await first;
    expect((await outcomes).map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'rejected',
      'fulfilled',
    ]);
    // And the group goes idle (the run ends), instead of holding its flush slot.
    while (group.busy) await new Promise((resolve) => setImmediate(resolve));
  });
});

describe('GroupCommit linger', () => {
  const linger = { gapMs: 50, waitMs: 30 };
  /** A second tier, for slower arrivals: a longer wait. */
  const slower = { gapMs: 200, waitMs: 150 };
  /**
   * A group whose flushes are recorded with the time they took their items; by default with both
   * tiers, given out of order (the tier with the smallest gapMs above the mean gap applies).
   */
  function recorded(options: GroupCommitOptions = { linger: [slower, linger] }) {
    const flushes: { items: number[]; at: number }[] = [];
    const group = new GroupCommit<number, number>((items) => {
      flushes.push({ items, at: Date.now() });
      return Promise.resolve(items);
    }, options);
    return { group, flushes };
  }
  /** Lets the flushes started so far run to their end (their promises settle). */
  const settle = () => jest.advanceTimersByTimeAsync(0);

  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('makes a lone submission wait for the next ones while they come less than gapMs apart', async () => {
    const { group, flushes } = recorded();
    // The first comes with no gap known: it is flushed at once.
    const first = group.submit([1]);
    await settle();
    expect(flushes).toEqual([{ items: [1], at: 1_000_000 }]);
    // The second comes 10 ms later, under gapMs: alone, it waits waitMs, and the third joins it.
    await jest.advanceTimersByTimeAsync(10);
    const second = group.submit([2]);
    await jest.advanceTimersByTimeAsync(10);
    const third = group.submit([3]);
    await settle();
    expect(flushes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(linger.waitMs - 10);
    expect(flushes).toEqual([
      { items: [1], at: 1_000_000 },
      { items: [2, 3], at: 1_000_000 + 10 + linger.waitMs },
    ]);
    expect(await Promise.all([first, second, third])).toEqual([[1], [2], [3]]);
  });

  it("waits the next tier's waitMs while submissions come between the tiers' gaps", async () => {
    const { group, flushes } = recorded();
    const first = group.submit([1]);
    await settle();
    // 100 ms apart: over the first tier's gap, under the second's.
    await jest.advanceTimersByTimeAsync(100);
    const second = group.submit([2]);
    await jest.advanceTimersByTimeAsync(100);
    const third = group.submit([3]);
    await jest.advanceTimersByTimeAsync(slower.waitMs - 100 - 1);
    expect(flushes).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(flushes).toEqual([
      { items: [1], at: 1_000_000 },
      { items: [2, 3], at: 1_000_000 + 100 + slower.waitMs },
    ]);
    expect(await Promise.all([first, second, third])).toEqual([[1], [2], [3]]);
  });

  it('with untilNext, ends the wait as the next submission comes', async () => {
    const { group, flushes } = recorded({ linger: [{ ...slower, untilNext: true }] });
    const first = group.submit([1]);
    await jest.advanceTimersByTimeAsync(100);
    // Under the tier's gap: it waits, 150 ms at most.
    const second = group.submit([2]);
    await jest.advanceTimersByTimeAsync(99);
    expect(flushes).toHaveLength(1);
    // The next comes: the flush takes both at once, 49 ms before the wait would have ended.
    const third = group.submit([3]);
    await settle();
    expect(flushes).toEqual([
      { items: [1], at: 1_000_000 },
      { items: [2, 3], at: 1_000_000 + 199 },
    ]);
    expect(await Promise.all([first, second, third])).toEqual([[1], [2], [3]]);
    // And a lone one with no next waits the tier's waitMs.
    await jest.advanceTimersByTimeAsync(100);
    const fourth = group.submit([4]);
    await jest.advanceTimersByTimeAsync(slower.waitMs);
    expect(flushes.at(-1)).toEqual({ items: [4], at: 1_000_000 + 299 + slower.waitMs });
    await fourth;
  });

  it('with untilNext, goes on past a lone submission that gave up, and splits at maxItems', async () => {
    const { group, flushes } = recorded({
      linger: [{ ...slower, untilNext: true }],
      maxItems: 3,
    });
    await group.submit([1]);
    await jest.advanceTimersByTimeAsync(100);
    // It lingers, and gives up (startWithinMs) before anything comes: nothing is flushed for it.
    const gaveUp = group.submit([2], { startWithinMs: 50 });
    const gaveUpOutcome = gaveUp.catch((error: Error) => error.message);
    await jest.advanceTimersByTimeAsync(50);
    expect(await gaveUpOutcome).toBe('No flush took the items within 50 ms');
    // The next ends the linger and is flushed at once, alone.
    await jest.advanceTimersByTimeAsync(50);
    const third = group.submit([3]);
    await settle();
    expect(flushes).toEqual([
      { items: [1], at: 1_000_000 },
      { items: [3], at: 1_000_000 + 200 },
    ]);
    await third;
    // Lingering again (100 ms apart), it is ended by a submission too large to join it: each
    // goes in a flush of its own, one after the other, neither waiting longer.
    await jest.advanceTimersByTimeAsync(100);
    const fourth = group.submit([4]);
    await jest.advanceTimersByTimeAsync(10);
    const large = group.submit([5, 6, 7]);
    await settle();
    expect(flushes.slice(2)).toEqual([
      { items: [4], at: 1_000_000 + 310 },
      { items: [5, 6, 7], at: 1_000_000 + 310 },
    ]);
    expect(await Promise.all([fourth, large])).toEqual([[4], [5, 6, 7]]);
  });

  it('takes a tier that waits 0 ms for none: the flush starts within submit', async () => {
    const { group, flushes } = recorded({ linger: [{ gapMs: 50, waitMs: 0 }] });
    for (const n of [1, 2, 3]) {
      const done = group.submit([n]);
      expect(flushes.at(-1)?.items).toEqual([n]);
      await done;
      await jest.advanceTimersByTimeAsync(10);
    }
  });

  it("never waits while submissions come further apart than every tier's gapMs", async () => {
    const { group, flushes } = recorded();
    for (const n of [1, 2, 3, 4]) {
      const submittedAt = Date.now();
      await expect(group.submit([n])).resolves.toEqual([n]);
      expect(flushes.at(-1)).toEqual({ items: [n], at: submittedAt });
      await jest.advanceTimersByTimeAsync(slower.gapMs + 20);
    }
  });

  it('never waits when more than one submission is waiting already', async () => {
    const { group, flushes, release } = heldGroup({ linger: [linger] });
    const first = group.submit([1]);
    const waiting = [group.submit([2]), group.submit([3])];
    release();
    await first;
    await settle();
    // The mean gap is 0 ms, yet two were waiting when the flush started: it took them at once.
    expect(flushes).toEqual([[1], [2, 3]]);
    await Promise.all(waiting);
  });
  it('starts one lingering flush at a time, whatever parallel allows', async () => {
    const flushes: number[][] = [];
    const group = new GroupCommit<number, number>(
      (items) => {
        flushes.push(items);
        return Promise.resolve(items);
      },
      { linger: [linger], parallel: 2 },
    );
    const first = group.submit([1]);
    await settle();
    await jest.advanceTimersByTimeAsync(10);
    // Alone under load: it lingers, and the free second slot does not flush it too (nor nothing).
    const second = group.submit([2]);
    await jest.advanceTimersByTimeAsync(linger.waitMs);
    expect(flushes).toEqual([[1], [2]]);
    expect(await Promise.all([first, second])).toEqual([[1], [2]]);
  });
});
