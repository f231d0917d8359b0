import { createBot, createModule, text } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

describe("A bot's welcome and fallback", () => {
  let t: TestApp;
  let botId: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Welcome bot')).id;
  });
  afterAll(() => t.close());

  it('starts with a default welcome and no fallback', async () => {
    const bot = await t.admin.get(`/api/v1/bots/${botId}`);
    expect(bot.body.welcome).toEqual(
      text('Hi {{contact.firstName|there}}! How can we help you today?'),
    );
    expect(bot.body.fallbackModuleId).toBeNull();
  });

  it('sets the welcome and the fallback module, and clears the fallback with null', async () => {
    const module = await createModule(t.admin, botId, { name: 'FAQ' });
    const welcome = {
      messages: [
        { type: 'text', text: 'Welcome {{contact.firstName|friend}}' },
        {
          type: 'quickReplies',
          text: 'What now?',
          replies: [{ title: 'FAQ', moduleId: module.id }],
        },
      ],
    };
    const updated = await t.admin.patch(`/api/v1/bots/${botId}`, {
      welcome,
      fallbackModuleId: module.id,
    });
    expect(updated.status).toBe(200);
    expect(updated.body).toMatchObject({ welcome, fallbackModuleId: module.id });
    expect((await t.admin.get(`/api/v1/bots/${botId}`)).body.welcome).toEqual(welcome);
    const cleared = await t.admin.patch(`/api/v1/bots/${botId}`, { fallbackModuleId: null });
    expect(cleared.body.fallbackModuleId).toBeNull();
    expect(cleared.body.welcome).toEqual(welcome);
  });

  it("refuses invalid content and another bot's modules, changing nothing", async () => {
    const before = (await t.admin.get(`/api/v1/bots/${botId}`)).body;
    const other = await createBot(t.admin, 'Other');
    const foreign = await createModule(t.admin, other.id);
    const cases: [unknown, string][] = [
      [{ welcome: { messages: [] } }, 'welcome.messages'],
      [{ welcome: text('Hi {{contact.nickname}}') }, 'welcome.messages[0].text'],
      [{ fallbackModuleId: 'not-a-uuid' }, 'fallbackModuleId'],
      [{ welcome: null }, 'welcome'],
      [{ name: null }, 'name'],
      [{ fallbackModuleId: foreign.id }, 'fallbackModuleId'],
      [
        {
          name: 'Renamed',
          welcome: {
            messages: [
              {
                type: 'buttons',
                text: 'x',
                buttons: [{ type: 'module', title: 'x', moduleId: foreign.id }],
              },
            ],
          },
        },
        'welcome.messages[0].buttons[0].moduleId',
      ],
    ];
    for (const [body, field] of cases) {
      const response = await t.admin.patch(`/api/v1/bots/${botId}`, body);
      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe(field);
    }
    expect((await t.admin.get(`/api/v1/bots/${botId}`)).body).toEqual(before);
  });
});
