import { createBot, createModule, createReferral, text } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe('Module instances API', () => {
  let t: TestApp;
  let botId: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Modules bot')).id;
    base = `/api/v1/bots/${botId}/modules`;
  });
  afterAll(() => t.close());

  it('creates, reads, lists, renames and reconfigures instances of both built-in types', async () => {
    const message = await t.admin.post(base, {
      name: ' Opening hours ',
      type: 'message',
      config: { content: text('We open at 9') },
    });
    expect(message.status).toBe(201);
    expect(message.body).toEqual({
      id: expect.any(String),
      name: 'Opening hours',
      type: 'message',
      config: { content: text('We open at 9') },
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const handover = await t.admin.post(base, {
      name: 'Talk to a human',
      type: 'handover',
      config: { content: text('A colleague will answer shortly'), note: 'from the FAQ' },
    });
    expect(handover.status).toBe(201);
    const bare = await t.admin.post(base, {
      name: 'Silent handover',
      type: 'handover',
      config: {},
    });
    expect(bare.status).toBe(201);

    expect((await t.admin.get(`${base}/${message.body.id}`)).body).toEqual(message.body);
    const handovers = await t.admin.get(`${base}?type=handover`);
    expect(handovers.body.items.map((m: { name: string }) => m.name)).toEqual([
      'Silent handover',
      'Talk to a human',
    ]);

    const updated = await t.admin.patch(`${base}/${message.body.id}`, {
      name: 'Hours',
      config: { content: text('We open at 8') },
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({
      name: 'Hours',
      type: 'message',
      config: { content: text('We open at 8') },
    });
    const typeChange = await t.admin.patch(`${base}/${message.body.id}`, { type: 'handover' });
    expect(typeChange.status).toBe(400);
    for (const body of [{ name: null }, { config: null }]) {
      expect((await t.admin.patch(`${base}/${message.body.id}`, body)).status).toBe(400);
    }
  });

  it('rejects unknown types and invalid configs with the path of the bad field', async () => {
    const unknown = await t.admin.post(base, { name: 'x', type: 'lottery', config: {} });
    expect(unknown.status).toBe(400);
    expect(unknown.body.details).toEqual([
      { field: 'type', messages: ['unknown module type "lottery"; use one of: handover, message'] },
    ]);
    const missing = await t.admin.post(base, { name: 'x', type: 'message', config: {} });
    expect(missing.status).toBe(400);
    expect(missing.body.details[0].field).toBe('config.content');
    const extra = await t.admin.post(base, {
      name: 'x',
      type: 'message',
      config: { content: text('ok'), colour: 'red' },
    });
    expect(extra.status).toBe(400);
    expect(extra.body.details[0]).toEqual({
      field: 'config.colour',
      messages: ['property colour should not exist'],
    });
    const deep = await t.admin.post(base, {
      name: 'x',
      type: 'handover',
      config: { content: { messages: [{ type: 'buttons', text: 'Pick', buttons: [] }] } },
    });
    expect(deep.status).toBe(400);
    expect(deep.body.details[0].field).toBe('config.content.messages[0].buttons');
    const notObject = await t.admin.post(base, { name: 'x', type: 'message', config: 'hello' });
    expect(notObject.status).toBe(400);
  });

  it("refuses a button pointing at another bot's module", async () => {
    const other = await createBot(t.admin, 'Other');
    const foreign = await createModule(t.admin, other.id);
    const response = await t.admin.post(base, {
      name: 'Menu',
      type: 'message',
      config: {
        content: {
          messages: [
            {
              type: 'quickReplies',
              text: 'Choose',
              replies: [{ title: 'Go', moduleId: foreign.id }],
            },
          ],
        },
      },
    });
    expect(response.status).toBe(400);
    expect(response.body.details).toEqual([
      {
        field: 'config.content.messages[0].replies[0].moduleId',
        messages: ['no module instance with this id in this bot'],
      },
    ]);
  });

  it("refuses a patched config with a button pointing at another bot's module", async () => {
    const other = await createBot(t.admin, 'Other for patches');
    const foreign = await createModule(t.admin, other.id);
    const menu = await createModule(t.admin, botId, { name: 'Patched menu' });
    const response = await t.admin.patch(`${base}/${menu.id}`, {
      config: {
        content: {
          messages: [
            {
              type: 'buttons',
              text: 'Pick',
              buttons: [{ type: 'module', title: 'Go', moduleId: foreign.id }],
            },
          ],
        },
      },
    });
    expect(response.status).toBe(400);
    expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED' });
    expect(response.body.details).toEqual([
      {
        field: 'config.content.messages[0].buttons[0].moduleId',
        messages: ['no module instance with this id in this bot'],
      },
    ]);
    expect((await t.admin.get(`${base}/${menu.id}`)).body.config).toEqual({
      content: text('From the module'),
    });
  });

  describe('deleting', () => {
    async function expectInUse(moduleId: string, usedBy: unknown[]): Promise<void> {
      const response = await t.admin.delete(`${base}/${moduleId}`);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('MODULE_IN_USE');
      expect(response.body.details.usedBy).toEqual(expect.arrayContaining(usedBy));
      expect((await t.admin.get(`${base}/${moduleId}`)).status).toBe(200);
    }

    it('refuses while a referral answers with it, then deletes once the referral is gone', async () => {
      const target = await createModule(t.admin, botId, { name: 'Target' });
      const referral = await createReferral(t.admin, botId, {
        trackingParam: 'uses-module',
        answerType: 'module',
        content: undefined,
        moduleId: target.id,
      });
      await expectInUse(target.id, [{ kind: 'referral', id: referral.id, name: 'uses-module' }]);
      expect((await t.admin.delete(`/api/v1/bots/${botId}/referrals/${referral.id}`)).status).toBe(
        204,
      );
      expect((await t.admin.delete(`${base}/${target.id}`)).status).toBe(204);
      expect((await t.admin.get(`${base}/${target.id}`)).status).toBe(404);
    });

    it('refuses while a referral button, another module or the bot settings point at it', async () => {
      const target = await createModule(t.admin, botId, { name: 'Shared target' });
      const buttons = {
        messages: [
          {
            type: 'buttons',
            text: 'More?',
            buttons: [{ type: 'module', title: 'Yes', moduleId: target.id }],
          },
        ],
      };
      const referral = await createReferral(t.admin, botId, {
        trackingParam: 'button-user',
        content: buttons,
      });
      const menu = await createModule(t.admin, botId, {
        name: 'Menu',
        config: { content: buttons },
      });
      const bot = await t.admin.patch(`/api/v1/bots/${botId}`, {
        welcome: buttons,
        fallbackModuleId: target.id,
      });
      expect(bot.status).toBe(200);
      await expectInUse(target.id, [
        { kind: 'referral', id: referral.id, name: 'button-user' },
        { kind: 'module', id: menu.id, name: 'Menu' },
        { kind: 'botWelcome', id: botId, name: 'Modules bot' },
        { kind: 'botFallback', id: botId, name: 'Modules bot' },
      ]);
      await t.admin.patch(`/api/v1/bots/${botId}`, { welcome: text('Hi'), fallbackModuleId: null });
      await t.admin.delete(`${base}/${menu.id}`);
      await t.admin.patch(`/api/v1/bots/${botId}/referrals/${referral.id}`, {
        content: text('plain'),
      });
      expect((await t.admin.delete(`${base}/${target.id}`)).status).toBe(204);
    });

    it('takes a module id in uppercase, stores it lowercase and still sees it as a use', async () => {
      const bot = await createBot(t.admin, 'Uppercase bot');
      const target = await createModule(t.admin, bot.id, { name: 'Upper target' });
      const upper = target.id.toUpperCase();
      const button = {
        messages: [
          {
            type: 'buttons',
            text: 'Go?',
            buttons: [{ type: 'module', title: 'Go', moduleId: upper }],
          },
        ],
      };
      const referral = await createReferral(t.admin, bot.id, {
        trackingParam: 'upper-answer',
        answerType: 'module',
        content: undefined,
        moduleId: upper,
      });
      expect(referral.moduleId).toBe(target.id);
      const inButton = await createReferral(t.admin, bot.id, {
        trackingParam: 'upper-button',
        content: button,
      });
      expect(inButton.content.messages[0].buttons[0].moduleId).toBe(target.id);
      const menu = await createModule(t.admin, bot.id, {
        name: 'Upper menu',
        config: {
          content: {
            messages: [
              { type: 'quickReplies', text: 'Pick', replies: [{ title: 'Go', moduleId: upper }] },
            ],
          },
        },
      });
      const settings = await t.admin.patch(`/api/v1/bots/${bot.id}`, {
        welcome: button,
        fallbackModuleId: upper,
      });
      expect(settings.status).toBe(200);
      expect(settings.body.fallbackModuleId).toBe(target.id);

      const stored = await t.db.query(
        `SELECT (SELECT string_agg(coalesce(module_id::text, content::text), ' ') FROM referrals WHERE bot_id = $1)
             || (SELECT string_agg(config::text, ' ') FROM module_instances WHERE bot_id = $1)
             || (SELECT welcome::text FROM bots WHERE id = $1) AS text`,
        [bot.id],
      );
      expect(stored.rows[0].text).toContain(target.id);
      expect(stored.rows[0].text).not.toContain(upper);

      const response = await t.admin.delete(`/api/v1/bots/${bot.id}/modules/${upper}`);
      expect(response.status).toBe(409);
      expect(response.body.code).toBe('MODULE_IN_USE');
      expect(response.body.details.usedBy).toEqual(
        expect.arrayContaining([
          { kind: 'referral', id: referral.id, name: 'upper-answer' },
          { kind: 'referral', id: inButton.id, name: 'upper-button' },
          { kind: 'module', id: menu.id, name: 'Upper menu' },
          { kind: 'botWelcome', id: bot.id, name: 'Uppercase bot' },
          { kind: 'botFallback', id: bot.id, name: 'Uppercase bot' },
        ]),
      );
    });

    it('takes an uppercase module id when a referral is patched', async () => {
      const target = await createModule(t.admin, botId, { name: 'Patched target' });
      const referral = await createReferral(t.admin, botId, { trackingParam: 'patch-upper' });
      const patched = await t.admin.patch(`/api/v1/bots/${botId}/referrals/${referral.id}`, {
        answerType: 'module',
        moduleId: target.id.toUpperCase(),
      });
      expect(patched.status).toBe(200);
      expect(patched.body.moduleId).toBe(target.id);
      expect((await t.admin.delete(`${base}/${target.id}`)).status).toBe(409);
    });

    it('answers 404 for an unknown instance', async () => {
      const response = await t.admin.delete(`${base}/00000000-0000-4000-8000-000000000000`);
      expect(response.status).toBe(404);
      expect(response.body.code).toBe('MODULE_NOT_FOUND');
    });
  });
});
