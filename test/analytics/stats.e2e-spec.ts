import { createBot, createReferral } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { adReferralMessage, delivery, getStartedWithRef } from '../support/messenger-payloads';
import { click, waitForClicks } from './clicks';

/** Entries of new contacts at given instants, from signed Get Started postbacks. */
async function enterAt(t: MessengerTestApp, ref: string, instants: string[]): Promise<void> {
  await t.deliver(
    delivery(
      t.pageId,
      instants.map((at, i) =>
        getStartedWithRef({
          pageId: t.pageId,
          psid: `${ref}-${i}-${Date.parse(at)}`,
          ref,
          timestamp: Date.parse(at),
        }),
      ),
    ),
  );
  await t.settle();
}

describe('Referral stats: time zones, overview, entries and CSV, bad parameters', () => {
  let t: MessengerTestApp;
  let paris: { id: string };
  let nepal: { id: string };
  const base = () => `/api/v1/bots/${t.botId}/referrals`;

  beforeAll(async () => {
    t = await startMessengerApp();
    paris = await createReferral(t.admin, t.botId, { trackingParam: 'paris' });
    nepal = await createReferral(t.admin, t.botId, { trackingParam: 'nepal' });
    await enterAt(t, 'paris', [
      '2026-10-24T22:30:00Z', // 00:30 CEST, 25 October
      '2026-10-25T00:30:00Z', // 02:30 CEST, the first 02:30
      '2026-10-25T01:30:00Z', // 02:30 CET, the second: clocks went back at 01:00Z
      '2026-10-25T22:30:00Z', // 23:30 CET, 25 October: that day has 25 hours
    ]);
    await t.deliver(
      delivery(t.pageId, [
        adReferralMessage({
          pageId: t.pageId,
          psid: 'paris-ad',
          ref: 'paris',
          adId: '120200000000001',
          text: 'Hi',
          adsContext: { ad_title: '=HYPERLINK("http://evil.example")' },
          timestamp: Date.parse('2026-10-25T23:30:00Z'), // 00:30 CET, 26 October
        }),
      ]),
    );
    await enterAt(t, 'nepal', ['2026-11-10T18:14:00Z', '2026-11-10T18:16:00Z']); // 23:59 and 00:01 at +05:45
    await t.settle();
  });
  afterAll(() => t.close());

  it('cuts days at local midnight across the end of summer time, each start with its own offset', async () => {
    const response = await t.admin.get(
      `${base()}/${paris.id}/stats?from=2026-10-24&to=2026-10-27&interval=day&timeZone=Europe/Paris`,
    );
    expect(response.status).toBe(200);
    expect(response.body.from).toBe('2026-10-24T00:00:00+02:00');
    expect(response.body.to).toBe('2026-10-27T00:00:00+01:00');
    expect(response.body.series.map((b: any) => [b.start, b.entries])).toEqual([
      ['2026-10-24T00:00:00+02:00', 0],
      ['2026-10-25T00:00:00+02:00', 4],
      ['2026-10-26T00:00:00+01:00', 1],
    ]);
    expect(response.body.totals).toMatchObject({ entries: 5, uniqueContacts: 5, newContacts: 5 });
    const utc = await t.admin.get(`${base()}/${paris.id}/stats?from=2026-10-24&to=2026-10-27`);
    expect(utc.body.series.map((b: any) => [b.start, b.entries])).toEqual([
      ['2026-10-24T00:00:00+00:00', 1],
      ['2026-10-25T00:00:00+00:00', 4],
      ['2026-10-26T00:00:00+00:00', 0],
    ]);
  });

  it('keeps the repeated hour as two hourly buckets', async () => {
    const response = await t.admin.get(
      `${base()}/${paris.id}/stats?from=2026-10-25T00:00&to=2026-10-25T04:00&interval=hour&timeZone=Europe/Paris`,
    );
    expect(response.body.series.map((b: any) => [b.start, b.entries])).toEqual([
      ['2026-10-25T00:00:00+02:00', 1],
      ['2026-10-25T01:00:00+02:00', 0],
      ['2026-10-25T02:00:00+02:00', 1],
      ['2026-10-25T02:00:00+01:00', 1],
      ['2026-10-25T03:00:00+01:00', 0],
    ]);
  });

  it('starts a day without a midnight at its first instant, and cuts :45 zones exactly', async () => {
    const santiago = await t.admin.get(
      `${base()}/${paris.id}/stats?from=2026-09-05&to=2026-09-07&timeZone=America/Santiago`,
    );
    expect(santiago.body.series.map((b: any) => b.start)).toEqual([
      '2026-09-05T00:00:00-04:00',
      '2026-09-06T01:00:00-03:00',
    ]);
    const kathmandu = await t.admin.get(
      `${base()}/${nepal.id}/stats?from=2026-11-10&to=2026-11-12&timeZone=asia/kathmandu`,
    );
    expect(kathmandu.body.timeZone).toBe('Asia/Kathmandu');
    expect(kathmandu.body.series.map((b: any) => [b.start, b.entries])).toEqual([
      ['2026-11-10T00:00:00+05:45', 1],
      ['2026-11-11T00:00:00+05:45', 1],
    ]);
    const weeks = await t.admin.get(
      `${base()}/${nepal.id}/stats?from=2026-11-01&to=2026-11-20&interval=week&timeZone=Pacific/Auckland`,
    );
    expect(weeks.body.series.map((b: any) => [b.start, b.entries])).toEqual([
      ['2026-10-26T00:00:00+13:00', 0],
      ['2026-11-02T00:00:00+13:00', 0],
      ['2026-11-09T00:00:00+13:00', 2],
      ['2026-11-16T00:00:00+13:00', 0],
    ]);
  });

  it('lists entries newest first, page by page, and streams them as CSV with formulas escaped', async () => {
    const query = 'from=2026-10-01&to=2026-11-01';
    const first = await t.admin.get(`${base()}/${paris.id}/entries?${query}&limit=2`);
    expect(first.status).toBe(200);
    expect(first.body.items).toHaveLength(2);
    expect(first.body.items[0]).toMatchObject({
      occurredAt: '2026-10-25T23:30:00.000Z',
      source: 'ADS',
      channel: 'messenger',
      adId: '120200000000001',
      adTitle: '=HYPERLINK("http://evil.example")',
      contactStatus: 'new',
    });
    const seen = [...first.body.items];
    let cursor = first.body.nextCursor;
    while (cursor) {
      const next = await t.admin.get(
        `${base()}/${paris.id}/entries?${query}&limit=2&cursor=${cursor}`,
      );
      seen.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    expect(seen.map((entry) => entry.occurredAt)).toEqual([
      '2026-10-25T23:30:00.000Z',
      '2026-10-25T22:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
      '2026-10-25T00:30:00.000Z',
      '2026-10-24T22:30:00.000Z',
    ]);

    const csv = await t.admin.get(`${base()}/${paris.id}/entries?${query}&format=csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toContain('text/csv');
    const lines = csv.text.trim().split('\n');
    expect(lines[0]).toBe('id,occurredAt,contactId,contactStatus,source,channel,adId,adTitle');
    expect(lines).toHaveLength(6);
    expect(lines[1]).toContain(
      `,2026-10-25T23:30:00.000Z,${seen[0].contactId},new,ADS,messenger,120200000000001,`,
    );
    expect(lines[1]).toMatch(/,"'=HYPERLINK\(""http:\/\/evil\.example""\)"$/);
  });

  it('gives the campaign overview: every referral with totals, sorted by any count, paginated', async () => {
    const quiet = await createReferral(t.admin, t.botId, { trackingParam: 'quiet' });
    await click(t, `/r/${t.botId}/quiet`);
    await waitForClicks(t.db, t.botId, 1);
    const range = `from=2026-09-01&to=${new Date(Date.now() + 3600_000).toISOString()}`;
    const page1 = await t.admin.get(`${base()}/stats?${range}&sort=entries&limit=2`);
    expect(page1.status).toBe(200);
    expect(page1.body.items.map((i: any) => [i.referral.trackingParam, i.totals.entries])).toEqual([
      ['paris', 5],
      ['nepal', 2],
    ]);
    expect(page1.body.items[0].totals.rates).toMatchObject({ newContactRate: 1 });
    const page2 = await t.admin.get(
      `${base()}/stats?${range}&sort=entries&limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items.map((i: any) => i.referral.id)).toEqual([quiet.id]);
    expect(page2.body.nextCursor).toBeNull();
    const byClicks = await t.admin.get(`${base()}/stats?${range}&sort=clicks&order=desc&limit=1`);
    expect(byClicks.body.items[0]).toMatchObject({
      referral: { id: quiet.id },
      totals: { clicks: 1 },
    });
    const ascending = await t.admin.get(`${base()}/stats?${range}&sort=entries&order=asc`);
    expect(ascending.body.items.map((i: any) => i.totals.entries)).toEqual([0, 2, 5]);
  });

  it.each([
    ['interval=minute', 'VALIDATION_FAILED'],
    ['timeZone=Mars/Olympus_Mons', 'STATS_UNKNOWN_TIME_ZONE'],
    ['timeZone=%2B05:00', 'STATS_UNKNOWN_TIME_ZONE'],
    ['from=2026-02-30', 'STATS_INVALID_RANGE'],
    ['from=2026-10-25T24:00', 'STATS_INVALID_RANGE'],
    ['from=1900-01-01', 'STATS_INVALID_RANGE'],
    ['from=yesterday', 'VALIDATION_FAILED'],
    ['from=2026-10-27&to=2026-10-24', 'STATS_INVALID_RANGE'],
    ['from=2026-10-24&to=2026-10-24', 'STATS_INVALID_RANGE'],
    ['from=2026-01-01&to=2026-12-01&interval=hour', 'STATS_RANGE_TOO_LONG'],
    ['from=2020-01-01&to=2026-01-01', 'STATS_RANGE_TOO_LONG'],
    ['unknown=1', 'VALIDATION_FAILED'],
    ['from=2026-10-24&from=2026-10-25', 'VALIDATION_FAILED'],
  ])('answers 400 with a code for a bad %s', async (query, code) => {
    const response = await t.admin.get(`${base()}/${paris.id}/stats?${query}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, code });
  });

  it.each([
    ['stats?sort=bogus', 'VALIDATION_FAILED'],
    ['stats?order=up', 'VALIDATION_FAILED'],
    ['stats?cursor=not-a-cursor', 'VALIDATION_FAILED'],
    ['stats?limit=0', 'VALIDATION_FAILED'],
    ['stats?timeZone=Nowhere', 'STATS_UNKNOWN_TIME_ZONE'],
    ['ID/entries?format=xml', 'VALIDATION_FAILED'],
    ['ID/entries?cursor=WyJ4IiwieSJd', 'VALIDATION_FAILED'],
    ['ID/entries?from=2026-13-01', 'STATS_INVALID_RANGE'],
  ])('answers 400 with a code for %s', async (path, code) => {
    const response = await t.admin.get(`${base()}/${path.replace('ID', paris.id)}`);
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ statusCode: 400, code });
  });

  it("answers 404 for another bot's referral or one that does not exist", async () => {
    const other = await createBot(t.admin, 'Other');
    for (const path of [
      `/api/v1/bots/${other.id}/referrals/${paris.id}/stats`,
      `/api/v1/bots/${other.id}/referrals/${paris.id}/entries`,
      `${base()}/00000000-0000-4000-8000-000000000000/stats`,
      `${base()}/not-a-uuid/entries`,
    ]) {
      const response = await t.admin.get(path);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('REFERRAL_NOT_FOUND');
    }
    const empty = await t.admin.get(`/api/v1/bots/${other.id}/referrals/stats`);
    expect(empty.body).toEqual({ items: [], nextCursor: null });
  });
});
