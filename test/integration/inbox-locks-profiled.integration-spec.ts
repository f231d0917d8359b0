import { type EntityManager } from 'typeorm';
import { BotsModule, BotsService } from '../../src/bots';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { waitFor } from '../support/wait-for';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * The batch decides which contacts need a Graph API profile look-up from
 * `lockPendingUpTo`'s `profiled`, AFTER the contact's advisory lock. A batch of another process
 * that waited for the lock while the first batch looked the profile up and committed must see the
 * contact as profiled, or it looks the profile up a second time.
 */
describe('InboxRepository.lockPendingUpTo: profiled contacts read after the lock (integration)', () => {
  let s: ServiceContext;
  let inbox: InboxRepository;
  let botId: string;
  const base = Date.now() - 60_000;

  async function itemOf(sender: string, second: number): Promise<InboxRow> {
    const stored = await inbox.insertMany([
      {
        dedupeKey: `${sender}-${second}`,
        pageId: 'page-prof',
        botId: null,
        senderKey: `psid:${sender}`,
        kind: 'message' as const,
        standby: false,
        occurredAt: new Date(base + second * 1000),
        json: JSON.stringify({ message: { text: `m${second}` } }),
        status: 'pending' as const,
        note: null,
      },
    ]);
    const [row] = await inbox.pending(stored.map((r) => r.id));
    return row;
  }
  const boundOf = (row: InboxRow) => ({
    pageId: row.pageId,
    senderKey: row.senderKey!,
    occurredAt: row.occurredAt,
    id: row.id,
  });

  beforeAll(async () => {
    s = await startServices([BotsModule]);
    inbox = new InboxRepository(s.dataSource);
    botId = (await s.get(BotsService).create({ name: 'Prof bot' })).id;
  });
  afterAll(() => s.close());

  it('sees the profile the batch it waited for looked up', async () => {
    const first = await itemOf('waiter', 1);
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
      const { profiled } = await inbox.lockPendingUpTo(tx, [boundOf(first)], [key]);
      expect(profiled.size).toBe(0);
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
    const second = await itemOf('waiter', 2);
    let secondResult: { items: string[]; profiled: string[] } | null = null;
    const secondBatch = s.dataSource.transaction(async (tx: EntityManager) => {
      const r = await inbox.lockPendingUpTo(tx, [boundOf(second)], [key]);
      secondResult = { items: r.items.map((i) => i.id), profiled: [...r.profiled] };
    });
    await waitFor(
      async () => {
        const [row] = await s.dataSource.query<{ n: number }[]>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
        );
        return row.n > 0;
      },
      { what: 'second batch to wait' },
    );
    release();
    await Promise.all([firstBatch, secondBatch]);
    // The second batch works the contact (its item is pending) ...
    expect(secondResult!.items).toEqual([second.id]);
    // ... and must know its profile was looked up (else: a second Graph API look-up).
    expect(secondResult!.profiled).toEqual([`${botId}|messenger|waiter`]);
  });
});
