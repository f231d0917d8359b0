import { createBot, text } from '../support/fixtures';
import { type HttpResponse } from '../support/http';
import { startTestApp, type TestApp } from '../support/test-app';

/** Rounds of each race: one round can pass by luck of scheduling, several rarely do. */
const ROUNDS = 5;

describe('Concurrent writes', () => {
  let t: TestApp;
  let botId: string;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Race bot')).id;
    api = `/api/v1/bots/${botId}`;
  });
  afterAll(() => t.close());

  const postReferral = (trackingParam: string, segmentName: string): Promise<HttpResponse> =>
    t.admin.post(`${api}/referrals`, {
      trackingParam,
      answerType: 'message',
      content: text('Hi'),
      segmentName,
    });

  const statuses = (responses: HttpResponse[]): number[] =>
    responses.map((r) => r.status).sort((a, b) => a - b);

  it('lets one of two referrals with one tracking param in different case win; the other is 409', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const param = `race-${round}`;
      const responses = await Promise.all([
        postReferral(param, `Race A ${round}`),
        postReferral(param.toUpperCase(), `Race B ${round}`),
      ]);
      expect(statuses(responses)).toEqual([201, 409]);
      const conflict = responses.find((r) => r.status === 409)!;
      expect(conflict.body).toMatchObject({
        statusCode: 409,
        error: 'Conflict',
        code: 'TRACKING_PARAM_TAKEN',
      });
      const rows = await t.db.query(
        'SELECT count(*)::int AS n FROM referrals WHERE bot_id = $1 AND lower(tracking_param) = $2',
        [botId, param],
      );
      expect(rows.rows[0].n).toBe(1);
      // The loser's new segment went with its rolled-back transaction.
      const segments = await t.db.query(
        'SELECT count(*)::int AS n FROM segments WHERE bot_id = $1 AND name LIKE $2',
        [botId, `Race _ ${round}`],
      );
      expect(segments.rows[0].n).toBe(1);
    }
  });

  it('lets one of two segments with one name in different case win; the other is 409', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Racing segment ${round}`;
      const responses = await Promise.all([
        t.admin.post(`${api}/segments`, { name }),
        t.admin.post(`${api}/segments`, { name: name.toUpperCase() }),
      ]);
      expect(statuses(responses)).toEqual([201, 409]);
      expect(responses.find((r) => r.status === 409)!.body).toMatchObject({
        statusCode: 409,
        code: 'SEGMENT_NAME_TAKEN',
      });
    }
  });

  it('creates two referrals naming one new segment at once, sharing that segment', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const name = `Shared new segment ${round}`;
      const [a, b] = await Promise.all([
        postReferral(`share-a-${round}`, name),
        postReferral(`share-b-${round}`, name.toLowerCase()),
      ]);
      expect([a.status, b.status]).toEqual([201, 201]);
      expect(a.body.segment.id).toBe(b.body.segment.id);
      const rows = await t.db.query(
        'SELECT count(*)::int AS n FROM segments WHERE bot_id = $1 AND lower(name) = lower($2)',
        [botId, name],
      );
      expect(rows.rows[0].n).toBe(1);
    }
  });
});
