import { TableStatisticsTask } from '../../src/database/statistics.task';
import { bulkContacts, createBot } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';

describe('Planner statistics of fast-growing tables', () => {
  let t: TestApp;
  let worker: TableStatisticsTask;

  const changedSinceAnalyze = async (table: string): Promise<number> => {
    const { rows } = await t.db.query<{ n: string }>(
      `SELECT n_mod_since_analyze AS n FROM pg_stat_user_tables WHERE relname = $1`,
      [table],
    );
    return Number(rows[0]?.n ?? 0);
  };

  beforeAll(async () => {
    t = await startTestApp();
    worker = t.app.get(TableStatisticsTask);
  });
  afterAll(() => t.close());

  it('analyzes a table once enough of it changed, and leaves it alone after', async () => {
    const bot = await createBot(t.admin, 'Growing bot');
    // A backend that flushed its counters less than a second ago holds new ones for up to
    // PGSTAT_IDLE_INTERVAL (10 s, PostgreSQL 15 pgstat.c); pg_stat_force_next_flush() makes the
    // inserting backend publish them as soon as it goes idle.
    const client = await t.db.connect();
    try {
      await bulkContacts(client, bot.id, 1500);
      await client.query('SELECT pg_stat_force_next_flush()');
    } finally {
      client.release();
    }
    await waitFor(async () => (await changedSinceAnalyze('contacts')) >= 1500, {
      what: 'the inserts to show in pg_stat_user_tables',
    });

    expect(await worker.refresh()).toContain('public.contacts');
    const { rows } = await t.db.query<{ tuples: number }>(
      `SELECT reltuples AS tuples FROM pg_class WHERE relname = 'contacts'`,
    );
    expect(rows[0].tuples).toBe(1500);
    // A young table's analyze is a small sample's: its histograms have at most 11 bounds, where
    // the default target (100) would give 1,500 distinct ids 101.
    const bounds = await t.db.query<{ n: number }>(
      `SELECT cardinality(histogram_bounds::text::text[]) AS n
         FROM pg_stats WHERE tablename = 'contacts' AND attname = 'external_id'`,
    );
    expect(bounds.rows[0].n).toBeGreaterThan(1);
    expect(bounds.rows[0].n).toBeLessThanOrEqual(11);
    await waitFor(async () => (await changedSinceAnalyze('contacts')) === 0, {
      what: 'the analyze to reset the counter',
    });
    expect(await worker.refresh()).not.toContain('public.contacts');
  });
});
