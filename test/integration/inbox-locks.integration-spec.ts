import { type EntityManager } from 'typeorm';
import { BotsModule, BotsService } from '../../src/bots';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { waitFor } from '../support/wait-for';
import { boundOf, storePending } from './support/inbox-items';
import { plansOf as plansIn } from './support/plans';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * A contact's batches take turns through `lockPendingUpTo` (an advisory lock per contact, then its
 * pending items' row locks): two transactions standing for two worker processes, on the real
 * Postgres.
 */
describe('InboxRepository.lockPendingUpTo (integration)', () => {
  let s: ServiceContext;
  let inbox: InboxRepository;

  const base = Date.now() - 60_000;

  /**
   * Stores `count` pending text items of one sender, a second apart from `startSecond` after a
   * minute ago; their rows, oldest first.
   */
  const itemsOf = (sender: string, count: number, startSecond = 0): Promise<InboxRow[]> =>
    storePending(
      inbox,
      Array.from({ length: count }, (_, i) => ({
        dedupeKey: `${sender}-${startSecond + i}`,
        pageId: 'page-locks',
        psid: sender,
        occurredAt: new Date(base + (startSecond + i) * 1000),
      })),
    );

  /** Whether some session waits on a row lock of messenger_inbox now. */
  async function aBatchWaits(): Promise<boolean> {
    const [row] = await s.dataSource.query<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return row.waiting > 0;
  }

  const plansOf = <T>(work: (tx: EntityManager) => Promise<T>) => plansIn(s.dataSource, work);

  beforeAll(async () => {
    s = await startServices([BotsModule]);
    inbox = new InboxRepository(s.dataSource);
  });
  afterAll(() => s.close());

  it('makes a second batch of a contact wait for the first, then hands it only the items left', async () => {
    const [first, second, third] = await itemsOf('turns', 3);
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstTook: string[] = [];
    const firstBatch = s.dataSource.transaction(async (tx: EntityManager) => {
      firstTook = (await inbox.lockPendingUpTo(tx, [boundOf(second)])).items.map((row) => row.id);
      await firstMayCommit;
      await inbox.mark(
        [first, second].map((row) => ({ id: row.id, status: 'processed' as const, note: null })),
        tx,
      );
    });
    await waitFor(() => firstTook.length > 0, { what: 'the first batch to lock its items' });
    expect(firstTook).toEqual([first.id, second.id]);

    let secondTook: string[] | null = null;
    const secondBatch = s.dataSource.transaction(async (tx: EntityManager) => {
      secondTook = (await inbox.lockPendingUpTo(tx, [boundOf(third)])).items.map((row) => row.id);
    });
    await waitFor(aBatchWaits, { what: 'the second batch to wait for the first' });
    expect(secondTook).toBeNull();

    releaseFirst();
    await Promise.all([firstBatch, secondBatch]);
    expect(secondTook).toEqual([third.id]);
  });

  it('makes a batch wait for the contact’s batch in progress even for an older item that came late', async () => {
    const [newer] = await itemsOf('late', 1, 10);
    let release!: () => void;
    const mayCommit = new Promise<void>((resolve) => (release = resolve));
    let firstTook = false;
    const first = s.dataSource.transaction(async (tx: EntityManager) => {
      await inbox.lockPendingUpTo(tx, [boundOf(newer)]);
      firstTook = true;
      await mayCommit;
      await inbox.mark([{ id: newer.id, status: 'processed', note: null }], tx);
    });
    await waitFor(() => firstTook, { what: 'the first batch to take the contact' });
    // Meta delivers the contact's earlier message now (out of order, or a retried delivery): no
    // row the first batch holds is older than it, so only a lock on the contact makes it wait.
    const [older] = await itemsOf('late', 1, 5);
    let secondTook: string[] | null = null;
    const second = s.dataSource.transaction(async (tx: EntityManager) => {
      secondTook = (await inbox.lockPendingUpTo(tx, [boundOf(older)])).items.map((row) => row.id);
    });
    try {
      await waitFor(async () => secondTook !== null || (await aBatchWaits()), {
        what: 'the second batch to wait or take the contact',
      });
      expect(secondTook).toBeNull();
    } finally {
      release();
      await Promise.all([first, second]);
    }
    expect(secondTook).toEqual([older.id]);
  });

  it('reads a contact’s pending items through the contact index, even in a burst the statistics missed', async () => {
    // A large inbox of a few pages whose statistics saw almost no pending item, then a burst of
    // pending items: both partial indexes of pending items look like one row to the planner.
    await s.dataSource.query(
      `INSERT INTO messenger_inbox (dedupe_key, page_id, sender_key, kind, occurred_at, payload, status)
       SELECT 'handled-' || g, 'page-burst-' || g % 4, 'psid:handled-' || g, 'message', now() - interval '1 day', '{}', 'processed'
         FROM generate_series(1, 200000) g`,
    );
    await s.dataSource.query(`ANALYZE messenger_inbox`);
    await s.dataSource.query(
      `INSERT INTO messenger_inbox (dedupe_key, page_id, sender_key, kind, occurred_at, payload, status)
       SELECT 'burst-' || g, 'page-burst-' || g % 4, 'psid:burst-' || g, 'message', now(), '{}', 'pending'
         FROM generate_series(1, 3000) g`,
    );
    const [row] = await inbox.pending(
      (
        await s.dataSource.query<{ id: string }[]>(
          `SELECT id FROM messenger_inbox WHERE dedupe_key = 'burst-7'`,
        )
      ).map((found) => found.id),
    );
    // As the batch runs it: the function turns on generic plans first.
    const { result: took, plans } = await plansOf(async (tx) =>
      (await inbox.lockPendingUpTo(tx, [boundOf(row)])).items.map((taken) => taken.id),
    );
    expect(took).toEqual([row.id]);
    const plan = plans.find((text) => text.includes('FOR UPDATE'));
    expect(plan).toContain('Index Scan using ix_messenger_inbox_contact_pending');
    expect(plan).not.toContain('ix_messenger_inbox_pending ');
  });

  it('looks contacts up by index in the batch, even in plans made while the table was small', async () => {
    // A young table: the batch's generic plans, made once per connection, outlive its statistics,
    // so a plan made now must still serve when the table holds millions.
    const { id: botId } = await s.get(BotsService).create({ name: 'Young bot' });
    await s.dataSource.query(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at, profile_fetched_at)
       SELECT $1, 'messenger', 'young-' || g, 'psid', now(), now(), now() FROM generate_series(1, 70) g`,
      [botId],
    );
    // One seen before its profile was ever looked up: known, but not profiled.
    await s.dataSource.query(
      `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at)
       VALUES ($1, 'messenger', 'young-unprofiled', 'psid', now(), now())`,
      [botId],
    );
    await s.dataSource.query(`ANALYZE contacts`);
    const [row] = await itemsOf('young-3', 1);
    const keys = ['young-3', 'young-new', 'young-unprofiled'].map((externalId) => ({
      botId,
      channel: 'messenger' as const,
      externalId,
      externalIdKind: 'psid' as const,
    }));
    const { result, plans } = await plansOf((tx) =>
      inbox.lockPendingUpTo(tx, [boundOf(row)], keys),
    );
    expect([...result.profiled]).toEqual([`${botId}|messenger|young-3`]);
    expect([...result.absent]).toEqual([`${botId}|messenger|young-new`]);
    const plan = plans.find((text) => text.includes('JOIN contacts c'));
    expect(plan).toContain('Index Scan using');
    expect(plan).not.toContain('Seq Scan on contacts');
  });

  it('tells a batch that waited for a contact the contact and profile the batch before it wrote', async () => {
    const { id: botId } = await s.get(BotsService).create({ name: 'Waiter bot' });
    const first = (await itemsOf('waiter', 1, 1))[0];
    const key = {
      botId,
      channel: 'messenger' as const,
      externalId: 'waiter',
      externalIdKind: 'psid' as const,
    };
    let release!: () => void;
    const mayCommit = new Promise<void>((resolve) => (release = resolve));
    let firstTook = false;
    const firstBatch = s.dataSource.transaction(async (tx: EntityManager) => {
      const { profiled, absent } = await inbox.lockPendingUpTo(tx, [boundOf(first)], [key]);
      expect(profiled.size).toBe(0);
      expect([...absent]).toEqual([`${botId}|messenger|waiter`]);
      firstTook = true;
      await mayCommit;
      // The first batch looked the profile up and records the contact with it.
      await tx.query(
        `INSERT INTO contacts (bot_id, channel, external_id, external_id_kind, first_seen_at, last_seen_at, profile_fetched_at)
         VALUES ($1, 'messenger', 'waiter', 'psid', now(), now(), now())`,
        [botId],
      );
      await inbox.mark([{ id: first.id, status: 'processed', note: null }], tx);
    });
    await waitFor(() => firstTook, { what: 'first batch to lock' });
    // A newer item, handled by another process's batch, which waits for the contact's lock.
    const second = (await itemsOf('waiter', 1, 2))[0];
    let secondResult: { items: string[]; profiled: string[]; absent: string[] } | null = null;
    const secondBatch = s.dataSource.transaction(async (tx: EntityManager) => {
      const r = await inbox.lockPendingUpTo(tx, [boundOf(second)], [key]);
      secondResult = {
        items: r.items.map((i) => i.id),
        profiled: [...r.profiled],
        absent: [...r.absent],
      };
    });
    await waitFor(aBatchWaits, { what: 'the second batch to wait for the first' });
    release();
    await Promise.all([firstBatch, secondBatch]);
    // The second batch works the contact (its item is pending) ...
    expect(secondResult!.items).toEqual([second.id]);
    // ... and must know its profile was looked up (else: a second Graph API look-up).
    expect(secondResult!.profiled).toEqual([`${botId}|messenger|waiter`]);
    // ... and that it exists: inserting it again would fail the batch.
    expect(secondResult!.absent).toEqual([]);
  });
});
