import { Logger } from '@nestjs/common';
import Queue from 'bull';
import { enqueueMissing } from '../../src/queues';
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
});
