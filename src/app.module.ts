import { type DynamicModule, Module, type ModuleMetadata } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AuthModule } from './auth';
import { BotsModule } from './bots';
import { BroadcastsModule } from './broadcasts';
import { ContactsModule } from './contacts';
import { ConversationsModule } from './conversations';
import { HttpShutdown } from './common/http/http-shutdown';
import { loggerOptions } from './common/logging/logger-options';
import { type AppConfig, ConfigModule } from './config';
import { DatabaseModule } from './database';
import { HealthModule } from './health';
import { MessengerModule } from './messenger';
import { ModulesModule } from './modules';
import { QueuesModule } from './queues';
import { ReferralsModule } from './referrals';
import { SegmentsModule } from './segments';
import { WidgetModule } from './widget';

export interface AppOptions {
  /** Where log lines go (stdout by default); tests read them from here. */
  logDestination?: DestinationStream;
  /** Extra modules, e.g. a test's own module type, found by the registry like the built-in ones. */
  imports?: ModuleMetadata['imports'];
}

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, options: AppOptions = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerOptions(config, options.logDestination)),
        DatabaseModule,
        QueuesModule.forRoot(),
        HealthModule,
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
        ...(options.imports ?? []),
      ],
      providers: [HttpShutdown],
    };
  }
}
