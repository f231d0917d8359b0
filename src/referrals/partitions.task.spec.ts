import { monthsFrom, partitionName } from './partitions.task';

describe('monthly partitions', () => {
  it('names a partition by its UTC month', () => {
    expect(partitionName('referral_entries', new Date('2026-12-01T00:00:00Z'))).toBe(
      'referral_entries_p2026_12',
    );
  });

  it('covers this month and the ones ahead, across a year end', () => {
    expect(monthsFrom(new Date('2026-11-30T23:59:59Z'), 2).map((m) => m.toISOString())).toEqual([
      '2026-11-01T00:00:00.000Z',
      '2026-12-01T00:00:00.000Z',
      '2027-01-01T00:00:00.000Z',
    ]);
  });
});
