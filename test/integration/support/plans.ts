import { type Client } from 'pg';
import { type DataSource, type EntityManager } from 'typeorm';

/**
 * What `work` returns in a transaction, and the plans of its statements, nested ones included
 * (auto_explain, written to the transaction's session as notices).
 */
export async function plansOf<T>(
  dataSource: DataSource,
  work: (tx: EntityManager) => Promise<T>,
): Promise<{ result: T; plans: string[] }> {
  const plans: string[] = [];
  const result = await dataSource.transaction(async (tx: EntityManager) => {
    // The transaction's own connection (connect() hands back the one it holds).
    const session = (await tx.queryRunner!.connect()) as Client;
    session.on('notice', (notice: { message?: string }) => plans.push(notice.message ?? ''));
    await tx.query(`LOAD 'auto_explain'`);
    await tx.query(`SET LOCAL auto_explain.log_min_duration = 0`);
    await tx.query(`SET LOCAL auto_explain.sample_rate = 1`);
    await tx.query(`SET LOCAL auto_explain.log_nested_statements = on`);
    await tx.query(`SET LOCAL client_min_messages = log`);
    const done = await work(tx);
    await tx.query(`SET LOCAL client_min_messages = notice`);
    session.removeAllListeners('notice');
    return done;
  });
  return { result, plans };
}
