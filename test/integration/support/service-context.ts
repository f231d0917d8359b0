import { Logger, type ModuleMetadata, type Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { getDataSourceToken } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import { type AppConfig, ConfigModule, loadConfig } from '../../../src/config';
import { DatabaseModule } from '../../../src/database';
import { QueuesModule } from '../../../src/queues';
import { deleteRedisPrefix } from '../../support/redis-prefix';
import { dropDatabase, REDIS_URL, testEnv, uniqueName } from '../../support/test-app';

/** Feature modules compiled on the real PostgreSQL and Redis, without HTTP or queue workers. */
export interface ServiceContext {
  config: AppConfig;
  dataSource: DataSource;
  get<T>(type: Type<T>): T;
  close(): Promise<void>;
}

/**
 * Compiles `imports` with the infrastructure the app gives them (config, database with its
 * migrations, queues) in a Nest testing module, on a database and Redis prefix of their own.
 * PROCESS_ROLE=api by default. No queue worker takes jobs in any role (the worker modules are not
 * imported), so what a test sees is what the service did; `env` overrides variables, e.g.
 * PROCESS_ROLE=worker for the send claims' session, which only a worker process opens.
 */
export async function startServices(
  imports: ModuleMetadata['imports'],
  env: Record<string, string> = {},
): Promise<ServiceContext> {
  const databaseName = uniqueName('bp_test');
  const config = loadConfig(testEnv(databaseName, { PROCESS_ROLE: 'api', ...env }));
  // Nest's logger writes to stdout; the quiet-console rule would not see it, but jest's output would.
  Logger.overrideLogger(false);
  const moduleRef: TestingModule = await Test.createTestingModule({
    imports: [
      ConfigModule.forRoot(config),
      DatabaseModule,
      QueuesModule.forRoot(),
      ...(imports ?? []),
    ],
  }).compile();
  await moduleRef.init();
  return {
    config,
    dataSource: moduleRef.get<DataSource>(getDataSourceToken()),
    get: (type) => moduleRef.get(type),
    async close() {
      try {
        await moduleRef.close();
      } finally {
        await dropDatabase(databaseName);
        await deleteRedisPrefix(REDIS_URL, config.queuePrefix);
      }
    },
  };
}
