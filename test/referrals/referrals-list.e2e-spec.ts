import { createBot, createModule, createReferral } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('Listing referrals', () => {
  let t: TestApp;
  let botId: string;
  let base: string;
  const created: { id: string; trackingParam: string }[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'List bot')).id;
    base = `/api/v1/bots/${botId}/referrals`;
    const module = await createModule(t.admin, botId);
    for (let i = 0; i < 12; i++) {
      const moduleAnswer = i % 3 === 0;
      created.push(
        await createReferral(t.admin, botId, {
          trackingParam: `item-${String(i).padStart(2, '0')}`,
          segmentName: i % 2 === 0 ? 'Even Club' : 'Odd Club',
          description: i === 5 ? 'Printed on the Autumn flyer 100% recycled' : undefined,
          active: i !== 7,
          ...(moduleAnswer
            ? { answerType: 'module', content: undefined, moduleId: module.id }
            : {}),
        }),
      );
    }
  });
  afterAll(() => t.close());

  const params = (page: { items: { trackingParam: string }[] }): string[] =>
    page.items.map((item) => item.trackingParam);

  it('pages through all referrals newest first with a total', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const response: { status: number; body: any } = await t.admin.get(
        `${base}?limit=5${cursor ? `&cursor=${cursor}` : ''}`,
      );
      expect(response.status).toBe(200);
      expect(response.body.total).toBe(12);
      seen.push(...params(response.body));
      cursor = response.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toEqual(created.map((r) => r.trackingParam).reverse());
  });

  it('searches the tracking param, the segment name and the description, case-insensitively', async () => {
    const byParam = await t.admin.get(`${base}?search=ITEM-1`);
    expect(params(byParam.body)).toEqual(['item-11', 'item-10']);
    const bySegment = await t.admin.get(`${base}?search=odd%20club&limit=100`);
    expect(bySegment.body.total).toBe(6);
    const byDescription = await t.admin.get(`${base}?search=autumn`);
    expect(params(byDescription.body)).toEqual(['item-05']);
    // LIKE wildcards in the search are plain characters.
    const percent = await t.admin.get(`${base}?search=${encodeURIComponent('100%')}`);
    expect(params(percent.body)).toEqual(['item-05']);
    const underscore = await t.admin.get(`${base}?search=_`);
    expect(underscore.body.total).toBe(0);
  });

  it('filters by answer type and active state', async () => {
    const modules = await t.admin.get(`${base}?answerType=module&limit=100`);
    expect(params(modules.body).sort()).toEqual(['item-00', 'item-03', 'item-06', 'item-09']);
    expect(modules.body.total).toBe(4);
    const inactive = await t.admin.get(`${base}?active=false`);
    expect(params(inactive.body)).toEqual(['item-07']);
    const activeMessages = await t.admin.get(`${base}?active=true&answerType=message&limit=100`);
    expect(activeMessages.body.total).toBe(7);
  });

  it('leaves deleted referrals out', async () => {
    const victim = created[4];
    expect((await t.admin.delete(`${base}/${victim.id}`)).status).toBe(204);
    const all = await t.admin.get(`${base}?limit=100`);
    expect(all.body.total).toBe(11);
    expect(params(all.body)).not.toContain(victim.trackingParam);
  });

  it('rejects bad filters', async () => {
    for (const query of [
      'answerType=video',
      'active=maybe',
      'limit=500',
      'cursor=garbage',
      'search=',
      'sort=name',
    ]) {
      const response = await t.admin.get(`${base}?${query}`);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
    }
  });
});
