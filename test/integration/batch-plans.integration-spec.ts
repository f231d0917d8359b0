import { type Client } from 'pg';
import { type QueryRunner } from 'typeorm';
import { BotsModule } from '../../src/bots';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { boundOf, storePending } from './support/inbox-items';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * The batch's planner settings (generic plans, no sequential scan where an index serves) make its
 * statements' plans even when the same statements ran outside a batch on the same connection
 * first (the ignored items' mark, `fail`): Postgres keeps one plan per prepared statement and
 * connection, whatever the settings it was made under, so the batch's statements have names of
 * their own (`planOwn`).
 */
describe('The inbound batch’s plans, on a connection shared with code outside batches (integration)', () => {
  let s: ServiceContext;
  let inbox: InboxRepository;
  let runner: QueryRunner;

  const item = async (n: number): Promise<InboxRow> =>
    (
      await storePending(inbox, [
        {
          dedupeKey: `shared-${n}`,
          pageId: 'page-shared',
          psid: `shared-${n}`,
          occurredAt: new Date(Date.now() - 1000 + n),
        },
      ])
    )[0];

  beforeAll(async () => {
    s = await startServices([BotsModule]);
    inbox = new InboxRepository(s.dataSource);
    // One pool connection, as a worker's pool hands the same connection to both code paths.
    runner = s.dataSource.createQueryRunner();
    await runner.connect();
  });
  afterAll(async () => {
    await runner.release();
    await s.close();
  });

  it('marks the batch’s items by index, even after the same connection marked items outside a batch', async () => {
    // A young deployment: a handful of inbox rows, then items marked outside any batch (ignored
    // items, failures), as happens on every connection of the pool.
    for (let n = 0; n < 8; n += 1) {
      const row = await item(n);
      await inbox.mark([{ id: row.id, status: 'ignored', note: 'NO_SENDER' }], runner.manager);
    }
    await s.dataSource.query(`ANALYZE messenger_inbox`);
    for (let n = 8; n < 16; n += 1) {
      const row = await item(n);
      await inbox.mark([{ id: row.id, status: 'ignored', note: 'NO_SENDER' }], runner.manager);
    }
    const markPlan = await batchMarkPlan(runner, await item(100));
    expect(markPlan).toBeDefined();
    expect(markPlan).not.toContain('Seq Scan on messenger_inbox');
  });

  it('(control) a fresh connection’s batch marks by index', async () => {
    const fresh = s.dataSource.createQueryRunner();
    await fresh.connect();
    try {
      const markPlan = await batchMarkPlan(fresh, await item(200));
      expect(markPlan).toBeDefined();
      expect(markPlan).not.toContain('Seq Scan on messenger_inbox');
    } finally {
      await fresh.release();
    }
  });

  /** The plan of the batch's mark statement, the batch run on `runner`'s connection. */
  async function batchMarkPlan(
    runner: QueryRunner,
    batchRow: InboxRow,
  ): Promise<string | undefined> {
    const plans: string[] = [];
    const session = (await runner.connect()) as Client;
    const onNotice = (notice: { message?: string }) => plans.push(notice.message ?? '');
    await runner.startTransaction();
    try {
      session.on('notice', onNotice);
      await runner.query(`LOAD 'auto_explain'`);
      await runner.query(`SET LOCAL auto_explain.log_min_duration = 0`);
      await runner.query(`SET LOCAL auto_explain.sample_rate = 1`);
      await runner.query(`SET LOCAL auto_explain.log_nested_statements = on`);
      await runner.query(`SET LOCAL client_min_messages = log`);
      await inbox.lockPendingUpTo(runner.manager, [boundOf(batchRow)]);
      await inbox.mark([{ id: batchRow.id, status: 'processed', note: null }], runner.manager);
      await runner.query(`SET LOCAL client_min_messages = notice`);
      await runner.commitTransaction();
    } finally {
      session.removeListener('notice', onNotice);
      if (runner.isTransactionActive) await runner.rollbackTransaction();
    }
    return plans.find((text) => text.includes('Update on messenger_inbox'));
  }
});
