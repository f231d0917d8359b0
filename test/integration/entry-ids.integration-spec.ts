import { ReferralsModule } from '../../src/referrals';
import { EntryIds } from '../../src/referrals/entry-ids';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * Entry ids taken ahead (src/referrals/entry-ids.ts): values of the entries' own sequence, never
 * handed out twice, in blocks, so a batch's entries cost no statement to learn their ids.
 */
describe('Referral entry ids taken ahead (integration)', () => {
  let s: ServiceContext;
  let ids: EntryIds;
  /** The last value the sequence handed out (0 before its first), read on its own connection. */
  const lastValue = async (): Promise<bigint> => {
    const [row] = await s.dataSource.query<{ v: string }[]>(
      `SELECT (CASE WHEN is_called THEN last_value ELSE last_value - 1 END)::text AS v
         FROM referral_entries_id_seq`,
    );
    return BigInt(row.v);
  };
  beforeAll(async () => {
    s = await startServices([ReferralsModule]);
    ids = s.get(EntryIds);
  });
  afterAll(() => s?.close());

  it('hands out values of the sequence, each once, however the takes interleave', async () => {
    const before = await lastValue();
    const taken = await s.dataSource.transaction((tx) =>
      Promise.all(Array.from({ length: 40 }, (_, k) => ids.take(1 + (k % 7), tx))),
    );
    const all = taken.flat();
    expect(all).toHaveLength(taken.reduce((n, list) => n + list.length, 0));
    expect(new Set(all).size).toBe(all.length);
    for (const id of all) {
      expect(BigInt(id)).toBeGreaterThan(before);
      expect(BigInt(id)).toBeLessThanOrEqual(await lastValue());
    }
  });

  it('takes from the block in hand with no statement', async () => {
    // The first take fetched a block (256 more than it took) and a refill follows below half.
    const statements = await s.dataSource.transaction(async (tx) => {
      const query = jest.spyOn(tx, 'query');
      expect(await ids.take(5, tx)).toHaveLength(5);
      return query.mock.calls.length;
    });
    expect(statements).toBe(0);
  });

  it('takes more than a block at once in the caller’s transaction', async () => {
    const got = await s.dataSource.transaction((tx) => ids.take(600, tx));
    expect(new Set(got).size).toBe(600);
  });
});
