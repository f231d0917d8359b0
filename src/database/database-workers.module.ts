import { Module } from '@nestjs/common';
import { TableStatisticsTask } from './statistics.task';

/**
 * The database's maintenance task (ANALYZE of tables whose statistics fell behind). Only
 * processes whose PROCESS_ROLE runs workers import it (`AppModule.forRoot`).
 */
@Module({
  providers: [TableStatisticsTask],
})
export class DatabaseWorkersModule {}
