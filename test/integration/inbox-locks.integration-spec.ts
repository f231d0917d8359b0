import { type EntityManager } from 'typeorm';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { waitFor } from '../support/wait-for';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * A contact's batches take turns through `lockPendingUpTo` alone (its pending items' row locks are
 * the contact's lock): two transactions standing for two worker processes, on the real Postgres.
 */
describe('InboxRepository.lockPendingUpTo (integration)', () => {
  let s: ServiceContext;
  let inbox: InboxRepository;

  /** Stores `count` pending text items of one sender, a second apart; their rows, oldest first. */
  async function itemsOf(sender: string, count: number): Promise<InboxRow[]> {
    const base = Date.now() - 60_000;
    const stored = await inbox.insertMany(
      Array.from({ length: count }, (_, i) => ({
        dedupeKey: `${sender}-${i}`,
        pageId: 'page-locks',
        botId: null,
        senderKey: `psid:${sender}`,
        kind: 'message' as const,
        standby: false,
        occurredAt: new Date(base + i * 1000),
        json: JSON.stringify({ message: { text: `m${i}` } }),
        status: 'pending' as const,
        note: null,
      })),
    );
    const rows = await inbox.pending(stored.map((row) => row.id));
    return rows.sort((a, b) => a.occurredAt.getTime() - b.occurredAt.getTime());
  }

  const boundOf = (row: InboxRow) => ({
    pageId: row.pageId,
    senderKey: row.senderKey!,
    occurredAt: row.occurredAt,
    id: row.id,
  });

  /** Whether some session waits on a row lock of messenger_inbox now. */
  async function aBatchWaits(): Promise<boolean> {
    const [row] = await s.dataSource.query<{ waiting: number }[]>(
      `SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`,
    );
    return row.waiting > 0;
  }

  beforeAll(async () => {
    s = await startServices([]);
    inbox = new InboxRepository(s.dataSource);
  });
  afterAll(() => s.close());

  it('makes a second batch of a contact wait for the first, then hands it only the items left', async () => {
    const [first, second, third] = await itemsOf('turns', 3);
    let releaseFirst!: () => void;
    const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstTook: string[] = [];
    const firstBatch = s.dataSource.transaction(async (tx: EntityManager) => {
      firstTook = (await inbox.lockPendingUpTo(tx, [boundOf(second)])).map((row) => row.id);
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
      secondTook = (await inbox.lockPendingUpTo(tx, [boundOf(third)])).map((row) => row.id);
    });
    await waitFor(aBatchWaits, { what: 'the second batch to wait for the first' });
    expect(secondTook).toBeNull();

    releaseFirst();
    await Promise.all([firstBatch, secondBatch]);
    expect(secondTook).toEqual([third.id]);
  });

  it('locks contacts in one order whatever order the bounds come in (no deadlock)', async () => {
    const [a] = await itemsOf('order-a', 1);
    const [b] = await itemsOf('order-b', 1);
    // Another batch holds contact a. A batch naming b before a must wait for a first, holding
    // nothing, as one naming a first would: else each could hold what the other waits for.
    let releaseA!: () => void;
    const aMayCommit = new Promise<void>((resolve) => (releaseA = resolve));
    let aLocked = false;
    const holdingA = s.dataSource.transaction(async (tx: EntityManager) => {
      await inbox.lockPendingUpTo(tx, [boundOf(a)]);
      aLocked = true;
      await aMayCommit;
    });
    await waitFor(() => aLocked, { what: 'contact a to be locked' });
    const both = s.dataSource.transaction((tx: EntityManager) =>
      inbox.lockPendingUpTo(tx, [boundOf(b), boundOf(a)]),
    );
    let bFree: { free: boolean } | undefined;
    try {
      await waitFor(aBatchWaits, { what: 'the batch of both to wait for a' });
      [bFree] = await s.dataSource.query<{ free: boolean }[]>(
        `SELECT count(*) = 1 AS free
         FROM (SELECT id FROM messenger_inbox WHERE id = $1 FOR UPDATE SKIP LOCKED) lockable`,
        [b.id],
      );
    } finally {
      releaseA();
      await holdingA;
    }
    expect(bFree).toEqual({ free: true });
    expect((await both).map((row) => row.id)).toEqual([a.id, b.id]);
  });
});
