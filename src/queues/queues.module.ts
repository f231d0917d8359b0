import { BullModule } from '@nestjs/bull';
import { type DynamicModule, Global, Module } from '@nestjs/common';
import { AppConfig } from '../config';
import { jitteredBackoff } from './backoff';
import { JITTER_BACKOFF, JOB_DEFAULTS, QueueName } from './queue-catalogue';
import { QueueClosing } from './queue-closing';
import { BULL_TIMING_SETTINGS } from './queue-timing';
import { createRedis, REDIS, RedisCloser } from './redis.provider';

const queues = BullModule.registerQueue(
  ...Object.values(QueueName).map((name) => ({ name, defaultJobOptions: JOB_DEFAULTS[name] })),
);

/**
 * Bull on REDIS_URL, every queue of the catalogue (to add jobs, in every process), and a shared
 * fail-fast Redis client. What takes jobs is QueueWorkersModule's and the feature modules'.
 */
@Global()
@Module({})
export class QueuesModule {
  static forRoot(): DynamicModule {
    return {
      module: QueuesModule,
      imports: [
        BullModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            url: config.redisUrl,
            prefix: config.queuePrefix,
            settings: {
              ...BULL_TIMING_SETTINGS,
              backoffStrategies: {
                [JITTER_BACKOFF]: (
                  attemptsMade: number,
                  _error: Error,
                  options?: { baseDelayMs?: number },
                ) => jitteredBackoff(attemptsMade, options?.baseDelayMs ?? 1000),
              },
            },
          }),
        }),
        queues,
      ],
      providers: [
        { provide: REDIS, inject: [AppConfig], useFactory: createRedis },
        RedisCloser,
        QueueClosing,
      ],
      exports: [queues, REDIS],
    };
  }
}
