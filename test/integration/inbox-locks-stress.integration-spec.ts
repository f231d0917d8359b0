import { type EntityManager } from 'typeorm';
import { BotsModule } from '../../src/bots';
import { InboxRepository, type InboxRow } from '../../src/messenger/inbox.repository';
import { boundOf, storePending } from './support/inbox-items';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * Four "processes" run batches of overlapping contacts (random subsets, random order)
 * through lockPendingUpTo at once: no deadlock, no item taken twice, a contact's items in order,
 * no two batches holding one contact at once.
 */
describe('InboxRepository.lockPendingUpTo under concurrent batches of overlapping contacts (integration)', () => {
  let s: ServiceContext;
  let inbox: InboxRepository;
  beforeAll(async () => {
    s = await startServices([BotsModule]);
    inbox = new InboxRepository(s.dataSource);
  });
  afterAll(() => s.close());

  it('never deadlocks, never hands an item twice, never overlaps a contact', async () => {
    const contacts = Array.from({ length: 12 }, (_, i) => `stress-${i}`);
    const perContact = 15;
    const base = Date.now() - 3_600_000;
    const rows: InboxRow[] = [];
    for (const c of contacts) {
      rows.push(
        ...(await storePending(
          inbox,
          Array.from({ length: perContact }, (_, i) => ({
            dedupeKey: `${c}-${i}`,
            pageId: 'page-stress',
            psid: c,
            occurredAt: new Date(base + i * 1000),
          })),
        )),
      );
    }
    const newest = new Map<string, InboxRow>();
    for (const r of rows) {
      const cur = newest.get(r.senderKey!);
      if (!cur || r.occurredAt > cur.occurredAt) newest.set(r.senderKey!, r);
    }
    const taken: string[] = [];
    const holding = new Map<string, number>();
    let overlap = 0;
    let outOfOrder = 0;
    const worker = async (seed: number) => {
      for (let round = 0; round < 25; round += 1) {
        const pick = contacts
          .filter((_, i) => (i * 7 + round * 3 + seed) % 3 !== 0)
          .sort(() => Math.random() - 0.5)
          .slice(0, 5);
        await s.dataSource.transaction(async (tx: EntityManager) => {
          const { items } = await inbox.lockPendingUpTo(
            tx,
            pick.map((c) => boundOf(newest.get(`psid:${c}`)!)),
          );
          const mine = [...new Set(items.map((i) => i.senderKey!))];
          for (const k of mine) {
            if ((holding.get(k) ?? 0) > 0) overlap += 1;
            holding.set(k, (holding.get(k) ?? 0) + 1);
          }
          for (const k of mine) {
            const times = items.filter((i) => i.senderKey === k).map((i) => i.occurredAt.getTime());
            if (times.some((t, i) => i > 0 && t < times[i - 1])) outOfOrder += 1;
          }
          // Handle only the two oldest items of each contact, as a partial batch would.
          const handled = mine.flatMap((k) => items.filter((i) => i.senderKey === k).slice(0, 2));
          await new Promise((resolve) => setTimeout(resolve, 2));
          await inbox.mark(
            handled.map((i) => ({ id: i.id, status: 'processed' as const, note: null })),
            tx,
          );
          taken.push(...handled.map((i) => i.id));
          for (const k of mine) holding.set(k, holding.get(k)! - 1);
        });
      }
    };
    await Promise.all([1, 2, 3, 4].map(worker));
    expect(overlap).toBe(0);
    expect(outOfOrder).toBe(0);
    expect(new Set(taken).size).toBe(taken.length);
  });
});
