import jsQR from 'jsqr';
import { PNG } from 'pngjs';
import { connectPage, createBot, createModule, createReferral, text } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('Referrals API', () => {
  let t: TestApp;
  let botId: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Referrals bot')).id;
    base = `/api/v1/bots/${botId}/referrals`;
  });
  afterAll(() => t.close());

  const count = async (): Promise<number> =>
    (await t.db.query('SELECT count(*)::int AS n FROM referrals WHERE bot_id = $1', [botId]))
      .rows[0].n;

  it('creates a message referral with its segment and links', async () => {
    const response = await t.admin.post(base, {
      trackingParam: 'spring-sale_2026=A',
      answerType: 'message',
      content: text('Hi {{contact.firstName|there}}, spring deals inside!'),
      segmentName: 'Spring 2026',
      description: 'Flyers in the Berlin stores',
    });
    expect(response.status).toBe(201);
    const widgetKey = (await t.admin.get(`/api/v1/bots/${botId}`)).body.channels.widget.widgetKey;
    expect(response.body).toEqual({
      id: expect.any(String),
      trackingParam: 'spring-sale_2026=A',
      answerType: 'message',
      content: text('Hi {{contact.firstName|there}}, spring deals inside!'),
      moduleId: null,
      segment: { id: expect.any(String), name: 'Spring 2026' },
      description: 'Flyers in the Berlin stores',
      active: true,
      links: {
        messenger: null,
        messengerUnavailableReason: 'MESSENGER_NOT_CONNECTED',
        widget: `https://bots.example.com/chat/${widgetKey}?ref=spring-sale_2026%3DA`,
        tracked: `https://bots.example.com/r/${botId}/spring-sale_2026%3DA`,
      },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const segments = await t.admin.get(`/api/v1/bots/${botId}/segments`);
    expect(segments.body.items).toContainEqual(
      expect.objectContaining({
        id: response.body.segment.id,
        name: 'Spring 2026',
        memberCount: 0,
      }),
    );
  });

  it('refuses a tracking param taken in another case with 409 TRACKING_PARAM_TAKEN, storing nothing', async () => {
    await createReferral(t.admin, botId, { trackingParam: 'Summer', segmentName: 'Summer' });
    const before = await count();
    const segmentsBefore = (await t.db.query('SELECT count(*)::int AS n FROM segments')).rows[0].n;
    const response = await t.admin.post(base, {
      trackingParam: 'sUMMER',
      answerType: 'message',
      content: text('x'),
      segmentName: 'A brand new segment',
    });
    expect(response.status).toBe(409);
    expect(response.body).toMatchObject({ statusCode: 409, code: 'TRACKING_PARAM_TAKEN' });
    expect(await count()).toBe(before);
    expect((await t.db.query('SELECT count(*)::int AS n FROM segments')).rows[0].n).toBe(
      segmentsBefore,
    );
  });

  it.each([
    ['a space', 'spring sale'],
    ['a percent sign', 'spring%20sale'],
    ['a slash', 'spring/sale'],
    ['an emoji', 'spring🌷'],
    ['101 characters', 'x'.repeat(101)],
    ['nothing', ''],
    ['a number', 42],
  ])('rejects a tracking param with %s', async (_case, trackingParam) => {
    const before = await count();
    const response = await t.admin.post(base, {
      trackingParam,
      answerType: 'message',
      content: text('x'),
      segmentName: 'S',
    });
    expect(response.status).toBe(400);
    expect(response.body.code).toBe('VALIDATION_FAILED');
    expect(response.body.details.map((d: { field: string }) => d.field)).toEqual(['trackingParam']);
    expect(await count()).toBe(before);
  });

  it('accepts a tracking param of exactly 100 characters', async () => {
    const referral = await createReferral(t.admin, botId, { trackingParam: 'y'.repeat(100) });
    expect(referral.trackingParam).toHaveLength(100);
  });

  it('shows the Messenger link once a page is connected, by username or else page id', async () => {
    const bot = await createBot(t.admin, 'Link bot');
    const referral = await createReferral(t.admin, bot.id, { trackingParam: 'link=test' });
    expect(referral.links.messenger).toBeNull();
    await connectPage(t.admin, bot.id, '555000111');
    const withId = await t.admin.get(`/api/v1/bots/${bot.id}/referrals/${referral.id}`);
    expect(withId.body.links.messenger).toBe('https://m.me/555000111?ref=link%3Dtest');
    expect(withId.body.links.messengerUnavailableReason).toBeUndefined();
    await connectPage(t.admin, bot.id, '555000111', 'acme.shoes');
    const withName = await t.admin.get(`/api/v1/bots/${bot.id}/referrals/${referral.id}`);
    expect(withName.body.links.messenger).toBe('https://m.me/acme.shoes?ref=link%3Dtest');
  });

  it('reuses a segment by name, case-insensitively', async () => {
    const a = await createReferral(t.admin, botId, {
      trackingParam: 'vip-a',
      segmentName: 'VIP Customers',
    });
    const b = await createReferral(t.admin, botId, {
      trackingParam: 'vip-b',
      segmentName: 'vip customers',
    });
    expect(b.segment).toEqual(a.segment);
    const rows = await t.db.query(
      "SELECT count(*)::int AS n FROM segments WHERE lower(name) = 'vip customers'",
    );
    expect(rows.rows[0].n).toBe(1);
  });

  describe('update', () => {
    it('changes the tracking param, frees the old one and refuses a taken one', async () => {
      const referral = await createReferral(t.admin, botId, { trackingParam: 'rename-me' });
      await createReferral(t.admin, botId, { trackingParam: 'taken-one' });
      const taken = await t.admin.patch(`${base}/${referral.id}`, { trackingParam: 'TAKEN-ONE' });
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('TRACKING_PARAM_TAKEN');
      const renamed = await t.admin.patch(`${base}/${referral.id}`, { trackingParam: 'renamed' });
      expect(renamed.status).toBe(200);
      expect(renamed.body.trackingParam).toBe('renamed');
      expect(renamed.body.links.widget).toContain('ref=renamed');
      await createReferral(t.admin, botId, { trackingParam: 'rename-me' });
    });

    it('switches answer types, clearing the other field, and keeps the result consistent', async () => {
      const module = await createModule(t.admin, botId);
      const referral = await createReferral(t.admin, botId, { trackingParam: 'switch' });
      const toModule = await t.admin.patch(`${base}/${referral.id}`, {
        answerType: 'module',
        moduleId: module.id,
      });
      expect(toModule.status).toBe(200);
      expect(toModule.body).toMatchObject({
        answerType: 'module',
        moduleId: module.id,
        content: null,
      });
      const contentOnModule = await t.admin.patch(`${base}/${referral.id}`, { content: text('x') });
      expect(contentOnModule.status).toBe(400);
      expect(contentOnModule.body.details[0].field).toBe('content');
      const backWithout = await t.admin.patch(`${base}/${referral.id}`, { answerType: 'message' });
      expect(backWithout.status).toBe(400);
      expect(backWithout.body.details[0].field).toBe('content');
      const back = await t.admin.patch(`${base}/${referral.id}`, {
        answerType: 'message',
        content: text('Back'),
      });
      expect(back.body).toMatchObject({
        answerType: 'message',
        moduleId: null,
        content: text('Back'),
      });
    });

    it("refuses another bot's module, as create does, and stores nothing", async () => {
      const other = await createBot(t.admin, 'Other bot for patches');
      const foreign = await createModule(t.admin, other.id);
      const referral = await createReferral(t.admin, botId, { trackingParam: 'patch-foreign' });
      const direct = await t.admin.patch(`${base}/${referral.id}`, {
        answerType: 'module',
        moduleId: foreign.id,
      });
      expect(direct.status).toBe(400);
      expect(direct.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(direct.body.details).toEqual([
        { field: 'moduleId', messages: ['no module instance with this id in this bot'] },
      ]);
      const inReply = await t.admin.patch(`${base}/${referral.id}`, {
        content: {
          messages: [
            {
              type: 'quickReplies',
              text: 'Pick',
              replies: [{ title: 'Go', moduleId: foreign.id }],
            },
          ],
        },
      });
      expect(inReply.status).toBe(400);
      expect(inReply.body.details[0].field).toBe('content.messages[0].replies[0].moduleId');
      expect((await t.admin.get(`${base}/${referral.id}`)).body).toMatchObject({
        answerType: 'message',
        moduleId: null,
        content: text('Welcome from the referral'),
      });
    });

    it('refuses a moduleId on a message referral unless answerType changes too', async () => {
      const module = await createModule(t.admin, botId);
      const referral = await createReferral(t.admin, botId, { trackingParam: 'patch-add-module' });
      const response = await t.admin.patch(`${base}/${referral.id}`, { moduleId: module.id });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      expect(response.body.details).toEqual([
        { field: 'moduleId', messages: ['moduleId is not allowed when answerType is "message"'] },
      ]);
      const row = await t.db.query('SELECT module_id FROM referrals WHERE id = $1', [referral.id]);
      expect(row.rows[0].module_id).toBeNull();
    });

    it('moves later entries to another segment, deactivates, and clears the description', async () => {
      const referral = await createReferral(t.admin, botId, {
        trackingParam: 'mover',
        description: 'd',
      });
      const moved = await t.admin.patch(`${base}/${referral.id}`, {
        segmentName: 'Moved here',
        active: false,
        description: null,
      });
      expect(moved.status).toBe(200);
      expect(moved.body).toMatchObject({
        segment: { name: 'Moved here' },
        active: false,
        description: null,
      });
      const unknown = await t.admin.patch(`${base}/${referral.id}`, { color: 'blue' });
      expect(unknown.status).toBe(400);
      for (const field of ['trackingParam', 'answerType', 'content', 'segmentName', 'active']) {
        const nulled = await t.admin.patch(`${base}/${referral.id}`, { [field]: null });
        expect(nulled.status).toBe(400);
        expect(nulled.body.details[0].field).toBe(field);
      }
    });
  });

  it('soft-deletes: 404 afterwards, the row is kept, the tracking param is free', async () => {
    const referral = await createReferral(t.admin, botId, { trackingParam: 'short-lived' });
    expect((await t.admin.delete(`${base}/${referral.id}`)).status).toBe(204);
    const gone = await t.admin.get(`${base}/${referral.id}`);
    expect(gone.status).toBe(404);
    expect(gone.body.code).toBe('REFERRAL_NOT_FOUND');
    expect((await t.admin.delete(`${base}/${referral.id}`)).status).toBe(404);
    expect((await t.admin.patch(`${base}/${referral.id}`, { active: false })).status).toBe(404);
    const row = await t.db.query('SELECT deleted_at FROM referrals WHERE id = $1', [referral.id]);
    expect(row.rows[0].deleted_at).toBeInstanceOf(Date);
    const again = await createReferral(t.admin, botId, { trackingParam: 'SHORT-LIVED' });
    expect(again.id).not.toBe(referral.id);
  });

  describe('ids in the path that are not UUIDs', () => {
    const notFound = (code: string, message: string): object => ({
      statusCode: 404,
      error: 'Not Found',
      message,
      code,
    });
    const referral = notFound('REFERRAL_NOT_FOUND', 'Referral not found');
    const segment = notFound('SEGMENT_NOT_FOUND', 'Segment not found');
    const module = notFound('MODULE_NOT_FOUND', 'Module instance not found');
    const routes: [string, string, (id: string) => string, object][] = [
      ['GET', 'referral', (id) => `referrals/${id}`, referral],
      ['PATCH', 'referral', (id) => `referrals/${id}`, referral],
      ['DELETE', 'referral', (id) => `referrals/${id}`, referral],
      ['GET', 'referral QR', (id) => `referrals/${id}/qr?channel=widget`, referral],
      ['GET', 'segment', (id) => `segments/${id}`, segment],
      ['GET', 'segment members', (id) => `segments/${id}/members`, segment],
      ['GET', 'module', (id) => `modules/${id}`, module],
      ['PATCH', 'module', (id) => `modules/${id}`, module],
      ['DELETE', 'module', (id) => `modules/${id}`, module],
    ];
    const ids = [
      'not-a-uuid',
      '12345',
      '00000000-0000-4000-8000-00000000000g',
      '00000000-0000-4000-8000-0000000000001',
      'a'.repeat(100),
      "1'%20OR%20'1'='1",
    ];

    it.each(routes)(
      'answers %s %s with 404 in the standard shape',
      async (method, _what, path, body) => {
        for (const id of ids) {
          const response = await t.admin.request(method, `/api/v1/bots/${botId}/${path(id)}`, {
            body: method === 'PATCH' ? { name: 'x' } : undefined,
          });
          expect({ id, status: response.status, body: response.body }).toEqual({
            id,
            status: 404,
            body,
          });
        }
      },
    );
  });

  describe('QR codes', () => {
    function decodePng(buffer: Buffer): string | undefined {
      const png = PNG.sync.read(buffer);
      return jsQR(new Uint8ClampedArray(png.data), png.width, png.height)?.data;
    }

    it('encodes the widget link as PNG and SVG', async () => {
      const referral = await createReferral(t.admin, botId, { trackingParam: 'qr-widget' });
      const png = await fetch(
        `${t.http.baseUrl}${base}/${referral.id}/qr?channel=widget&format=png`,
        {
          headers: { authorization: `Bearer ${t.config.adminToken}` },
        },
      );
      expect(png.status).toBe(200);
      expect(png.headers.get('content-type')).toBe('image/png');
      expect(decodePng(Buffer.from(await png.arrayBuffer()))).toBe(referral.links.widget);
      const svg = await t.admin.get(`${base}/${referral.id}/qr?channel=widget&format=svg`);
      expect(svg.status).toBe(200);
      expect(svg.headers.get('content-type')).toContain('image/svg+xml');
      expect(svg.text).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    });

    it('encodes the Messenger link, or answers 409 while no page is connected', async () => {
      const bot = await createBot(t.admin, 'QR bot');
      const referral = await createReferral(t.admin, bot.id, { trackingParam: 'qr-m' });
      const missing = await t.admin.get(`/api/v1/bots/${bot.id}/referrals/${referral.id}/qr`);
      expect(missing.status).toBe(409);
      expect(missing.body.code).toBe('MESSENGER_NOT_CONNECTED');
      await connectPage(t.admin, bot.id, '777000111', 'qr.page');
      const png = await fetch(
        `${t.http.baseUrl}/api/v1/bots/${bot.id}/referrals/${referral.id}/qr?format=png`,
        {
          headers: { authorization: `Bearer ${t.config.adminToken}` },
        },
      );
      expect(decodePng(Buffer.from(await png.arrayBuffer()))).toBe('https://m.me/qr.page?ref=qr-m');
      const bad = await t.admin.get(
        `/api/v1/bots/${bot.id}/referrals/${referral.id}/qr?format=gif`,
      );
      expect(bad.status).toBe(400);
    });
  });
});
