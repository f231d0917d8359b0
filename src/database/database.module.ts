import { Logger, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config';
import { dataSourceOptions } from './data-source-options';
import { ensureDatabase } from './ensure-database';
import { runMigrations } from './run-migrations';

const logger = new Logger('Database');

/** Opens the data source once the database exists and its migrations are applied. */
async function openDataSource(options: DataSourceOptions): Promise<DataSource> {
  const url = (options as { url: string }).url;
  if (await ensureDatabase(url)) logger.log('Created the database named in DATABASE_URL');
  const dataSource = await new DataSource({ ...options, migrationsRun: false }).initialize();
  if (options.migrationsRun) {
    const applied = await runMigrations(dataSource);
    if (applied.length > 0) logger.log(`Applied migrations: ${applied.join(', ')}`);
  }
  return dataSource;
}

@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        ...dataSourceOptions(config),
        migrationsRun: config.dbMigrationsRun,
        entities: [],
        autoLoadEntities: true,
      }),
      dataSourceFactory: (options) => {
        if (!options) throw new Error('TypeORM options missing');
        return openDataSource(options);
      },
    }),
  ],
})
export class DatabaseModule {}
