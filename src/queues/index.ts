export { jitteredBackoff } from './backoff';
export {
  JOB_DEFAULTS,
  MAINTENANCE_TASK_NAMES,
  QueueName,
  WORKER_CONCURRENCY,
  type JobPayloads,
  type MaintenanceTaskName,
} from './queue-catalogue';
export { enqueueMissing, enqueueSafely, GroupedEnqueue, type SafeJob } from './enqueue';
export { MaintenanceTask } from './maintenance-task';
export { QueueWorker, type WorkerOptions } from './queue-worker';
export { QueuesModule } from './queues.module';
export { QueueWorkersModule } from './queue-workers.module';
export { InjectRedis, REDIS } from './redis.provider';
