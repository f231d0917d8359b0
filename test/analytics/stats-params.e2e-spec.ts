import fc from 'fast-check';
import { connectPage, createBot, createReferral } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';
import { click } from './clicks';

/**
 * The kind behind the stats endpoints' bad-parameter cases: a value Postgres would refuse (a date
 * that is no date, a zone it does not know, NUL) must be a 4xx in the one error body before it
 * reaches SQL, never a 500. Random members of the kind, fixed seed.
 */
describe('Any query of the stats endpoints and the tracked link is a 2xx/3xx or a 4xx with a code', () => {
  let t: TestApp;
  let botId: string;
  let referralId: string;

  beforeAll(async () => {
    t = await startTestApp();
    const bot = await createBot(t.admin, 'Params');
    botId = bot.id;
    await connectPage(t.admin, botId);
    referralId = (await createReferral(t.admin, botId, { trackingParam: 'params' })).id;
  });
  afterAll(() => t.close());

  const dateLike = fc.oneof(
    fc.string(),
    fc
      .tuple(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.integer({ min: 0, max: 99 }),
        fc.constantFrom('', 'Z', '+05:45', '-99:99', '+14:00'),
      )
      .map(([y, mo, d, h, mi, off]) => {
        const p = (n: number, w = 2): string => String(n).padStart(w, '0');
        return `${p(y, 4)}-${p(mo)}-${p(d)}T${p(h)}:${p(mi)}${off}`;
      }),
  );
  const param = (arb: fc.Arbitrary<string>): fc.Arbitrary<string> =>
    fc.option(arb, { nil: undefined }).map((v) => v ?? '');
  const query = fc
    .record({
      from: param(dateLike),
      to: param(dateLike),
      timeZone: param(
        fc.oneof(
          fc.string(),
          fc.constantFrom(
            'UTC',
            'Europe/Paris',
            'Asia/Kathmandu',
            'posix/UTC',
            'GMT+3',
            'a\u0000b',
          ),
        ),
      ),
      interval: param(fc.oneof(fc.string(), fc.constantFrom('hour', 'day', 'week'))),
    })
    .map((q) =>
      Object.entries(q)
        .filter(([, v]) => v !== '')
        .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
        .join('&'),
    );

  it('GET .../referrals/{referralId}/stats and .../entries, .../referrals/stats', async () => {
    await fc.assert(
      fc.asyncProperty(query, fc.constantFrom('stats', 'entries', 'overview'), async (q, which) => {
        const path =
          which === 'overview'
            ? `/api/v1/bots/${botId}/referrals/stats?${q.replace(/interval=[^&]*&?/, '')}`
            : `/api/v1/bots/${botId}/referrals/${referralId}/${which}?${which === 'entries' ? q.replace(/interval=[^&]*&?/, '') : q}`;
        const response = await t.admin.get(path);
        if (response.status >= 400) {
          expect({ path, status: response.status < 500 }).toEqual({ path, status: true });
          expect(response.body).toMatchObject({
            statusCode: response.status,
            code: expect.any(String),
          });
        } else {
          expect(response.status).toBe(200);
        }
      }),
      { seed: 13, numRuns: 150 },
    );
  });

  it('GET /r/{botId}/{trackingParam}', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 120 }), fc.string(), async (p, to) => {
        const response = await click(
          t,
          `/r/${botId}/${encodeURIComponent(p)}?to=${encodeURIComponent(to)}`,
        );
        // `.` and `..` segments are resolved away by the URL itself: a 404 of the router then.
        if (response.status !== 302) {
          expect({ p, status: response.status >= 400 && response.status < 500 }).toEqual({
            p,
            status: true,
          });
          expect(response.body.code).toEqual(expect.any(String));
        }
      }),
      { seed: 13, numRuns: 150 },
    );
  });
});
