import { createApiKey, createBot, createModule, createReferral } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('Tenant isolation of referrals, segments and modules', () => {
  let t: TestApp;
  let botA: string;
  let botB: string;
  let keyA: string;
  let referralB: { id: string; segment: { id: string } };
  let moduleB: { id: string };

  beforeAll(async () => {
    t = await startTestApp();
    botA = (await createBot(t.admin, 'A')).id;
    botB = (await createBot(t.admin, 'B')).id;
    keyA = await createApiKey(t.admin, botA);
    moduleB = await createModule(t.admin, botB, { name: 'B module' });
    referralB = await createReferral(t.admin, botB, {
      trackingParam: 'b-only',
      segmentName: 'B people',
    });
    await createReferral(t.http.withToken(keyA), botA, {
      trackingParam: 'a-only',
      segmentName: 'A people',
    });
  });
  afterAll(() => t.close());

  it("never shows a bot key another bot's referrals, segments or modules", async () => {
    const a = t.http.withToken(keyA);
    const notFound = (await t.admin.get('/api/v1/bots/00000000-0000-4000-8000-000000000000')).body;
    for (const path of [
      `/api/v1/bots/${botB}/referrals`,
      `/api/v1/bots/${botB}/referrals/${referralB.id}`,
      `/api/v1/bots/${botB}/referrals/${referralB.id}/qr?channel=widget`,
      `/api/v1/bots/${botB}/segments`,
      `/api/v1/bots/${botB}/segments/${referralB.segment.id}/members`,
      `/api/v1/bots/${botB}/modules`,
      `/api/v1/bots/${botB}/modules/${moduleB.id}`,
    ]) {
      const response = await a.get(path);
      expect(response.status).toBe(404);
      expect(response.body).toEqual(notFound);
    }
    expect((await a.delete(`/api/v1/bots/${botB}/modules/${moduleB.id}`)).status).toBe(404);
    expect(
      (await a.patch(`/api/v1/bots/${botB}/referrals/${referralB.id}`, { active: false })).status,
    ).toBe(404);
    expect((await t.admin.get(`/api/v1/bots/${botB}/referrals/${referralB.id}`)).body.active).toBe(
      true,
    );
  });

  it("answers 404 when a bot's own path names another bot's resource", async () => {
    const a = t.http.withToken(keyA);
    const referral = await a.get(`/api/v1/bots/${botA}/referrals/${referralB.id}`);
    expect(referral.status).toBe(404);
    expect(referral.body.code).toBe('REFERRAL_NOT_FOUND');
    const segment = await a.get(`/api/v1/bots/${botA}/segments/${referralB.segment.id}/members`);
    expect(segment.status).toBe(404);
    expect(segment.body.code).toBe('SEGMENT_NOT_FOUND');
    const module = await a.get(`/api/v1/bots/${botA}/modules/${moduleB.id}`);
    expect(module.status).toBe(404);
    expect(module.body.code).toBe('MODULE_NOT_FOUND');
  });

  it('lists only its own bot', async () => {
    const a = t.http.withToken(keyA);
    const referrals = await a.get(`/api/v1/bots/${botA}/referrals`);
    expect(referrals.body.items.map((r: { trackingParam: string }) => r.trackingParam)).toEqual([
      'a-only',
    ]);
    const segments = await a.get(`/api/v1/bots/${botA}/segments`);
    expect(segments.body.items.map((s: { name: string }) => s.name)).toEqual(['A people']);
    const modules = await a.get(`/api/v1/bots/${botA}/modules`);
    expect(modules.body.items).toEqual([]);
  });

  it('lets two bots use the same tracking param and segment name', async () => {
    const a = t.http.withToken(keyA);
    const same = await createReferral(a, botA, {
      trackingParam: 'B-ONLY',
      segmentName: 'b people',
    });
    expect(same.segment.id).not.toBe(referralB.segment.id);
  });
});
