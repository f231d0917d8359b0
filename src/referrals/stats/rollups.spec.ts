import { bucketOf, BUCKET_MS, RollupDeltas } from './rollups';

describe('rollup buckets', () => {
  it('floors an instant to its 15-minute UTC bucket', () => {
    expect(bucketOf(new Date('2026-10-25T01:44:59.999Z')).toISOString()).toBe(
      '2026-10-25T01:30:00.000Z',
    );
    expect(bucketOf(new Date('2026-10-25T01:45:00.000Z')).toISOString()).toBe(
      '2026-10-25T01:45:00.000Z',
    );
    expect(BUCKET_MS).toBe(900_000);
  });

  it('adds counts up per row, so one upsert touches each row once', () => {
    const deltas = new RollupDeltas();
    const key = {
      referralId: 'r',
      botId: 'b',
      source: 'ADS',
      channel: 'messenger',
      adId: '1',
    };
    deltas.add({ ...key, at: new Date('2026-01-01T00:01:00Z') }, { entries: 1 });
    deltas.add({ ...key, at: new Date('2026-01-01T00:14:00Z') }, { entries: 1, uniqueContacts: 1 });
    deltas.add({ ...key, at: new Date('2026-01-01T00:15:00Z') }, { entries: 1 });
    deltas.add(
      { ...key, source: 'SHORTLINK', at: new Date('2026-01-01T00:01:00Z') },
      { entries: 1 },
    );
    // Three rows of (source, channel, ad) and the two buckets' total rows.
    expect(deltas.size).toBe(5);
    deltas.add(
      { ...key, channel: '', source: '', adId: '', at: new Date('2026-01-01T00:02:00Z') },
      { clicks: 1 },
    );
    // A click counts in its bucket's total row only.
    expect(deltas.size).toBe(5);
  });
});
