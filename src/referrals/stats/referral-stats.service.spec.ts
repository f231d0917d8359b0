import { STAT_COUNTERS } from '../entities/referral-stat.entity';
import { withOffset, withRates } from './referral-stats.service';

describe('stats formatting', () => {
  it.each([
    [46_800, '2026-11-28T00:00:00+13:00'],
    [20_700, '2026-11-28T00:00:00+05:45'],
    [-12_600, '2026-11-28T00:00:00-03:30'],
    [0, '2026-11-28T00:00:00+00:00'],
  ])('writes an offset of %i s as ISO 8601', (offset, expected) => {
    expect(withOffset('2026-11-28T00:00:00', offset)).toBe(expected);
  });

  it('gives the rates between steps, null where the step before counted nothing', () => {
    const zero = Object.fromEntries(STAT_COUNTERS.map((c) => [c, 0])) as Record<
      (typeof STAT_COUNTERS)[number],
      number
    >;
    const totals = withRates({
      ...zero,
      clicks: 200,
      entries: 50,
      uniqueContacts: 40,
      newContacts: 30,
      answersSent: 50,
      answersDelivered: 45,
      answersRead: 30,
      engagedContacts: 12,
    });
    expect(totals.rates).toEqual({
      entriesPerClick: 0.25,
      newContactRate: 0.75,
      answerRate: 1,
      deliveryRate: 0.9,
      readRate: 0.6667,
      engagementRate: 0.3,
    });
    expect(withRates(zero).rates).toEqual({
      entriesPerClick: null,
      newContactRate: null,
      answerRate: null,
      deliveryRate: null,
      readRate: null,
      engagementRate: null,
    });
  });
});
