import { Logger } from '@nestjs/common';
import Queue from 'bull';
import { enqueueMissing, GroupedEnqueue } from '../../src/queues';
import { REDIS_URL, uniqueName } from '../support/test-app';

describe('Sweepers re-queueing jobs', () => {
  const queue = new Queue<{ n: number }>('sweep-test', REDIS_URL, { prefix: uniqueName('q') });
  const logger = new Logger('test');

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('adds only the jobs the queue does not hold already', async () => {
    await queue.add({ n: 1 }, { jobId: 'held' });
    const addBulk = jest.spyOn(queue, 'addBulk');
    await enqueueMissing(
      queue,
      [
        { data: { n: 1 }, jobId: 'held' },
        { data: { n: 2 }, jobId: 'new' },
      ],
      logger,
    );
    expect(addBulk).toHaveBeenCalledTimes(1);
    expect(addBulk.mock.calls[0][0].map((job) => job.opts?.jobId)).toEqual(['new']);
    expect((await queue.getWaiting()).map((job) => job.id).sort()).toEqual(['held', 'new']);
    addBulk.mockRestore();
  });

  it('queues again a job Bull failed, and leaves delayed and active ones alone', async () => {
    // Where Bull leaves a job it gave up on: off the wait list, in the failed set.
    await queue.add({ n: 3 }, { jobId: 'gave-up' });
    await queue.client
      .multi()
      .lrem(queue.toKey('wait'), 0, 'gave-up')
      .zadd(queue.toKey('failed'), Date.now(), 'gave-up')
      .exec();
    expect((await queue.getFailed()).map((job) => job.id)).toEqual(['gave-up']);
    await queue.add({ n: 4 }, { jobId: 'later', delay: 60_000 });
    await enqueueMissing(
      queue,
      [
        { data: { n: 3 }, jobId: 'gave-up' },
        { data: { n: 4 }, jobId: 'later' },
      ],
      logger,
    );
    expect((await queue.getFailed()).map((job) => job.id)).toEqual([]);
    expect((await queue.getWaiting()).map((job) => job.id)).toContain('gave-up');
    expect((await queue.getDelayed()).map((job) => job.id)).toEqual(['later']);
  });

  it('queues again a job of which a Redis outage left only remains', async () => {
    // What a failed attempt's bookkeeping writes into a Redis that came back empty.
    await queue.client.hset(queue.toKey('remains'), 'attemptsMade', '1', 'failedReason', 'x');
    await enqueueMissing(queue, [{ data: { n: 5 }, jobId: 'remains' }], logger);
    const job = await queue.getJob('remains');
    expect(job?.data).toEqual({ n: 5 });
    expect(await job?.isWaiting()).toBe(true);
  });
});

describe('Jobs of concurrent callers added together (GroupedEnqueue)', () => {
  const queue = new Queue<{ n: number }>('grouped-test', REDIS_URL, { prefix: uniqueName('q') });
  const grouped = new GroupedEnqueue(queue, new Logger('test'));

  afterAll(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
  });

  it('adds the jobs of callers that came while an add was in flight in one addBulk', async () => {
    await queue.isReady();
    const addBulk = jest.spyOn(queue, 'addBulk');
    const added = await Promise.all(
      Array.from({ length: 30 }, (_, n) => grouped.add([{ data: { n }, jobId: `job-${n}` }])),
    );
    expect(added.every(Boolean)).toBe(true);
    // The first caller's add goes at once; the 29 that came while it was in flight go together.
    expect(addBulk.mock.calls.map(([jobs]) => jobs.length)).toEqual([1, 29]);
    const waiting = await queue.getWaiting();
    expect(waiting.map((job) => job.id).sort()).toEqual(
      Array.from({ length: 30 }, (_, n) => `job-${n}`).sort(),
    );
    expect(waiting.find((job) => job.id === 'job-7')?.data).toEqual({ n: 7 });
    addBulk.mockRestore();
  });

  it('resolves false, and adds nothing, while Redis is away', async () => {
    const away = new Queue<{ n: number }>('grouped-away', 'redis://127.0.0.1:1', {
      redis: { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true },
    });
    const addBulk = jest.spyOn(away, 'addBulk');
    await expect(
      new GroupedEnqueue(away, new Logger('test')).add([{ data: { n: 1 }, jobId: 'x' }]),
    ).resolves.toBe(false);
    expect(addBulk).not.toHaveBeenCalled();
    await away.close();
  });
});
