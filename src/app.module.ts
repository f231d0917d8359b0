import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AuthHttpModule, AuthModule } from './auth';
import { BotsHttpModule, BotsModule } from './bots';
import { BroadcastsHttpModule, BroadcastsModule, BroadcastsWorkersModule } from './broadcasts';
import { ContactsModule } from './contacts';
import {
  ConversationsHttpModule,
  ConversationsModule,
  ConversationsWorkersModule,
} from './conversations';
import { HttpShutdown } from './common/http/http-shutdown';
import { loggerOptions } from './common/logging/logger-options';
import { type AppConfig, ConfigModule } from './config';
import { DatabaseModule, DatabaseWorkersModule } from './database';
import { HealthModule } from './health';
import { MessengerHttpModule, MessengerModule, MessengerWorkersModule } from './messenger';
import { ModulesHttpModule, ModulesModule } from './modules';
import { QueuesModule, QueueWorkersModule } from './queues';
import { ReferralsHttpModule, ReferralsModule, ReferralsWorkersModule } from './referrals';
import { SegmentsHttpModule, SegmentsModule } from './segments';
import { WidgetHttpModule, WidgetModule } from './widget';

export interface AppOptions {
  /** Where log lines go (stdout by default); tests read them from here. */
  logDestination?: DestinationStream;
  /** Extra modules, e.g. a test's own module type, found by the registry like the built-in ones. */
  imports?: ModuleMetadata['imports'];
}

/**
 * What takes jobs: queue processors, maintenance tasks and the check that each job has one
 * handler. A process holds these providers only when its PROCESS_ROLE runs workers.
 */
const WORKER_MODULES = [
  QueueWorkersModule,
  DatabaseWorkersModule,
  ReferralsWorkersModule,
  ConversationsWorkersModule,
  BroadcastsWorkersModule,
  MessengerWorkersModule,
];

/**
 * What only serves HTTP: every controller (each feature's `…HttpModule`, in the order the routes
 * are registered) and what has run time of its own for HTTP (the widget's streams, health checks).
 * A worker process builds none of it.
 */
const HTTP_MODULES = [
  HealthModule,
  BotsHttpModule,
  AuthHttpModule,
  SegmentsHttpModule,
  ModulesHttpModule,
  ReferralsHttpModule,
  ConversationsHttpModule,
  BroadcastsHttpModule,
  MessengerHttpModule,
  WidgetHttpModule,
];

@Module({})
export class AppModule {
  /**
   * The application of one process. Its PROCESS_ROLE (from the validated `config`) chooses here,
   * once, which providers exist: the worker modules only for `worker` and `all`, so an `api`
   * process holds no processor or task rather than holding idle ones; the HTTP modules (every
   * controller) only for `api` and `all`.
   */
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config, options.logDestination)),
        DatabaseModule,
        QueuesModule.forRoot(),
        BotsModule,
        AuthModule,
        ContactsModule,
        SegmentsModule,
        ModulesModule,
        ReferralsModule,
        ConversationsModule,
        BroadcastsModule,
        MessengerModule,
        WidgetModule,
        ...(config.runsHttp ? HTTP_MODULES : []),
        ...(config.runsWorkers ? WORKER_MODULES : []),
        ...(options.imports ?? []),
      ],
      providers: [HttpShutdown],
    };
  }
}
