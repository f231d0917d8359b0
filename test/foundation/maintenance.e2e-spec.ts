import { getQueueToken } from '@nestjs/bull';
import Queue, { type Queue as BullQueue } from 'bull';
import { QueueName } from '../../src/queues';
import { bulkContacts, createBot } from '../support/fixtures';
import { REDIS_URL, startTestApp, type TestApp, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('Maintenance tasks', () => {
  const prefix = uniqueName('t');
  let t: TestApp;
  let queue: BullQueue;

  beforeAll(async () => {
    // What an earlier release left scheduled: a task since retired, and an interval since changed.
    const earlier = new Queue(QueueName.Maintenance, REDIS_URL, { prefix });
    await earlier.add('retired-task', {}, { repeat: { every: 1000 }, jobId: 'retired-task' });
    await earlier.add(
      'sweep-messenger-inbox',
      { task: 'sweep-messenger-inbox' },
      { repeat: { every: 1234 }, jobId: 'sweep-messenger-inbox' },
    );
    await earlier.close();
    t = await startTestApp({ QUEUE_PREFIX: prefix });
    queue = t.app.get(getQueueToken(QueueName.Maintenance));
  });
  afterAll(() => t.close());

  it('schedules each task once at its own interval and drops what is no longer wanted', async () => {
    const scheduled = (await queue.getRepeatableJobs())
      .map((job) => `${job.name}@${job.every}`)
      .sort();
    expect(scheduled).toEqual([
      'drive-broadcasts@1000',
      'purge-messenger-inbox@3600000',
      'refresh-table-statistics@10000',
      'sweep-messenger-inbox@2000',
      'sweep-outbound-replies@2000',
    ]);
  });

  it('hands a job to the task it names', async () => {
    const bot = await createBot(t.admin, 'Maintained bot');
    await bulkContacts(t.db, bot.id, 1200);
    const counted = async (): Promise<number> => {
      const { rows } = await t.db.query<{ tuples: number }>(
        `SELECT reltuples AS tuples FROM pg_class WHERE relname = 'contacts'`,
      );
      return rows[0].tuples;
    };
    await waitFor(
      async () => {
        await queue.add('refresh-table-statistics', { task: 'refresh-table-statistics' });
        return (await counted()) === 1200;
      },
      { intervalMs: 500, what: 'the statistics task to analyze contacts' },
    );
  });

  it('skips a job naming a task this process does not have', async () => {
    await queue.add('retired-task', { task: 'retired-task' } as never);
    await waitFor(() => t.logs.text.includes('No maintenance task named retired-task'), {
      what: 'the skipped job to be logged',
    });
  });

  it('puts the schedules back when Redis lost them', async () => {
    // What a Redis that came back empty (or a flush) leaves of them: nothing.
    for (const job of await queue.getRepeatableJobs()) await queue.removeRepeatableByKey(job.key);
    expect(await queue.getRepeatableJobs()).toEqual([]);
    await waitFor(async () => (await queue.getRepeatableJobs()).length === 5, {
      timeoutMs: 20_000,
      what: 'the schedules to be back',
    });
    expect(t.logs.text).toContain('was gone from Redis; added again');
  });
});
