export { DatabaseModule } from './database.module';
export { dataSourceOptions } from './data-source-options';
