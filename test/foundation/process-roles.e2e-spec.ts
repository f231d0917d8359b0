import { getQueueToken } from '@nestjs/bull';
import { type INestApplicationContext, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { type Queue } from 'bull';
import { createWorkerContext } from '../../src/app.factory';
import { findPlugIns } from '../../src/common/plug-ins';
import { loadConfig } from '../../src/config';
import { MaintenanceTask, QueueName, QueueWorker } from '../../src/queues';
import { type MaintenanceSchedule } from '../../src/queues/maintenance-task';
import { QueueHandlersCheck } from '../../src/queues/queue-handlers';
import { WidgetStreamFanOut } from '../../src/widget/widget-stream-fan-out';
import { LogCapture, startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

/**
 * Whether a process holds a provider of `type`. (Not `app.get`, which for a missing provider ends
 * the process: Nest's factory wraps the app in its exceptions zone, which aborts on error.)
 */
function holds(app: INestApplicationContext, type: Type): boolean {
  return app
    .get(DiscoveryService)
    .getProviders()
    .some((wrapper) => wrapper.metatype === type);
}

/** What takes jobs in a process: its queue processors' queues and its maintenance tasks. */
function jobHandlers(app: INestApplicationContext): { queues: string[]; tasks: string[] } {
  const discovery = app.get(DiscoveryService);
  return {
    queues: discovery
      .getProviders()
      .map((wrapper) => wrapper.instance as unknown)
      .filter((instance): instance is QueueWorker<QueueName> => instance instanceof QueueWorker)
      .map((worker) => worker.queueName)
      .sort(),
    tasks: findPlugIns<MaintenanceSchedule, MaintenanceTask>(discovery, MaintenanceTask)
      .map((task) => task.metadata.name)
      .sort(),
  };
}

/**
 * PROCESS_ROLE chooses at module level which providers a process holds (AppModule.forRoot): an
 * api process has no processor or task at all, so nothing in it can take a job, however its
 * workers' run-time code behaves; a worker process on the same database and queues takes it.
 */
describe('Process roles', () => {
  let t: TestApp;
  let worker: INestApplicationContext | undefined;
  const queueOf = (name: QueueName): Queue => t.app.get<Queue>(getQueueToken(name));

  beforeAll(async () => {
    t = await startTestApp({ PROCESS_ROLE: 'api' });
  });
  afterAll(async () => {
    await worker?.close();
    await t.close();
  });

  it('an api process holds no queue processor, no maintenance task and no handler check', async () => {
    expect(jobHandlers(t.app)).toEqual({ queues: [], tasks: [] });
    expect(holds(t.app, QueueHandlersCheck)).toBe(false);
    expect(holds(t.app, WidgetStreamFanOut)).toBe(true);
    // Nothing on this process's queues listens for jobs, and nothing was scheduled.
    for (const name of Object.values(QueueName))
      expect(await queueOf(name).getWorkers()).toEqual([]);
    expect(await queueOf(QueueName.Maintenance).getRepeatableJobs()).toEqual([]);
  });

  it('a job added in an api process waits; a worker process, with one handler per job and no HTTP side, takes it', async () => {
    const maintenance = queueOf(QueueName.Maintenance);
    const job = await maintenance.add(
      'refresh-table-statistics',
      { task: 'refresh-table-statistics' },
      { removeOnComplete: false },
    );
    expect(await job.getState()).toBe('waiting');

    const config = loadConfig({
      NODE_ENV: 'test',
      DATABASE_URL: t.config.databaseUrl,
      REDIS_URL: t.config.redisUrl,
      QUEUE_PREFIX: t.config.queuePrefix,
      ADMIN_TOKEN: t.config.adminToken,
      SECRETS_KEY: 'k'.repeat(40),
      PROCESS_ROLE: 'worker',
    });
    worker = await createWorkerContext(config, { logDestination: new LogCapture() });
    expect(jobHandlers(worker)).toEqual({
      queues: Object.values(QueueName).sort(),
      tasks: [
        'drive-broadcasts',
        'maintain-referral-partitions',
        'purge-messenger-inbox',
        'refresh-table-statistics',
        'sweep-messenger-inbox',
        'sweep-outbound-replies',
      ],
    });
    expect(holds(worker, QueueHandlersCheck)).toBe(true);
    // The widget's HTTP side (its streams' Redis subscriber and timer) is not in a worker.
    expect(holds(worker, WidgetStreamFanOut)).toBe(false);
    await waitFor(async () => (await job.getState()) === 'completed', {
      what: 'the worker process to take the job added in the api process',
    });
    expect(await maintenance.getWorkers()).not.toEqual([]);
  });

  it('a worker process whose queue does not close cleanly (Bull rejects its close) still shuts down, naming the queue', async () => {
    const queue = worker!.get<Queue>(getQueueToken(QueueName.Maintenance));
    const close = queue.close.bind(queue);
    let closing: Promise<void> | undefined;
    // As Bull does when a Redis connection errs while quitting: every call gets the same rejection.
    jest.spyOn(queue, 'close').mockImplementation(
      () =>
        (closing ??= close().then(() => {
          throw new Error('Connection is closed.');
        })),
    );
    const closed = worker!.close();
    worker = undefined;
    await expect(closed).resolves.toBeUndefined();
    // Nest's Logger writes through the logger of the process's first app, the api one here.
    expect(t.logs.text).toContain(
      `Queue ${QueueName.Maintenance} did not close cleanly: Connection is closed.`,
    );
  });
});
