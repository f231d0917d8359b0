export { DatabaseModule } from './database.module';
export { DatabaseWorkersModule } from './database-workers.module';
export { dataSourceOptions } from './data-source-options';
export { planOwn, prepared, preparedCarried } from './prepared';
export { pipelinedTransaction } from './pipelined-transaction';
export { SequenceIds } from './sequence-ids';
export { firstInTransaction, memoInTransaction, memoManyInTransaction } from './transaction-memo';
