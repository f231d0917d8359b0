import { Injectable, type Type } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { type Queue } from 'bull';
import { MaintenanceTask } from './maintenance-task';
import { MAINTENANCE_TASK_NAMES, type MaintenanceTaskName, QueueName } from './queue-catalogue';
import { assertOneHandlerEach, QueueHandlersCheck } from './queue-handlers';
import { QueueWorker } from './queue-worker';

// The check reads providers only: boot stops in onModuleInit, before any worker touches its queue,
// so the workers here are given none.
const NO_QUEUE = undefined as unknown as Queue;

function workerOf(name: QueueName): Type {
  @Injectable()
  class Worker extends QueueWorker<QueueName> {
    constructor() {
      super({ queue: NO_QUEUE, name });
    }
    protected handle(): Promise<void> {
      return Promise.resolve();
    }
  }
  return Worker;
}

function taskOf(name: MaintenanceTaskName): Type {
  @Injectable()
  @MaintenanceTask({ name, everyMs: 1000 })
  class Task implements MaintenanceTask {
    run(): Promise<void> {
      return Promise.resolve();
    }
  }
  return Task;
}

const ALL_WORKERS = Object.values(QueueName).map(workerOf);
const ALL_TASKS = MAINTENANCE_TASK_NAMES.map(taskOf);

/**
 * Boots a Nest module with these providers and the check. (Which processes hold the check at all
 * is AppModule's choice: `src/app.module.spec.ts`.)
 */
async function boot(providers: Type[]): Promise<void> {
  const moduleRef = await Test.createTestingModule({
    imports: [DiscoveryModule],
    providers: [...providers, QueueHandlersCheck],
  }).compile();
  // onModuleInit only: the lifecycle hooks after it would start the workers on their queues.
  moduleRef.get(QueueHandlersCheck).onModuleInit();
}

describe('job handlers against the catalogue', () => {
  it('boots with one worker per queue and one task per maintenance task', async () => {
    await expect(boot([...ALL_WORKERS, ...ALL_TASKS])).resolves.toBeUndefined();
  });

  it('fails boot when a queue has no worker', async () => {
    await expect(boot([...ALL_WORKERS.slice(1), ...ALL_TASKS])).rejects.toThrow(
      `no handler for queue ${Object.values(QueueName)[0]}`,
    );
  });

  it('fails boot when a queue has two workers', async () => {
    const twice = workerOf(QueueName.Outbound);
    await expect(boot([...ALL_WORKERS, twice, ...ALL_TASKS])).rejects.toThrow(
      '2 handlers for queue outbound',
    );
  });

  it('fails boot when a maintenance task has no task or two', async () => {
    await expect(boot([...ALL_WORKERS, ...ALL_TASKS.slice(1)])).rejects.toThrow(
      `no handler for maintenance task ${MAINTENANCE_TASK_NAMES[0]}`,
    );
    const again = taskOf('drive-broadcasts');
    await expect(boot([...ALL_WORKERS, ...ALL_TASKS, again])).rejects.toThrow(
      '2 handlers for maintenance task drive-broadcasts',
    );
  });

  it('names a handler of something the catalogue does not list', () => {
    expect(() => assertOneHandlerEach('queue', ['a'], ['a', 'b'])).toThrow(
      'a handler for queue b, which the catalogue does not list',
    );
  });
});
