import { createBot, createModule, createReferral, text } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

// What a referral may answer with: the answer type rules and Messenger's limits on content.
describe('Referrals API: answers', () => {
  let t: TestApp;
  let botId: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Referral answers bot')).id;
    base = `/api/v1/bots/${botId}/referrals`;
  });
  afterAll(() => t.close());

  const count = async (): Promise<number> =>
    (await t.db.query('SELECT count(*)::int AS n FROM referrals WHERE bot_id = $1', [botId]))
      .rows[0].n;

  describe('answer type rules', () => {
    it('requires content for a message answer', async () => {
      const response = await t.admin.post(base, {
        trackingParam: 'no-content',
        answerType: 'message',
        segmentName: 'S',
      });
      expect(response.status).toBe(400);
      expect(response.body.details).toEqual([
        { field: 'content', messages: ['content is required when answerType is "message"'] },
      ]);
    });

    it('forbids content for a module answer, and requires its moduleId', async () => {
      const module = await createModule(t.admin, botId);
      const withContent = await t.admin.post(base, {
        trackingParam: 'module-content',
        answerType: 'module',
        moduleId: module.id,
        content: text('x'),
        segmentName: 'S',
      });
      expect(withContent.status).toBe(400);
      expect(withContent.body.details[0]).toEqual({
        field: 'content',
        messages: ['content is not allowed when answerType is "module"'],
      });
      const noModule = await t.admin.post(base, {
        trackingParam: 'module-none',
        answerType: 'module',
        segmentName: 'S',
      });
      expect(noModule.status).toBe(400);
      expect(noModule.body.details[0].field).toBe('moduleId');
      const messageWithModule = await t.admin.post(base, {
        trackingParam: 'message-module',
        answerType: 'message',
        content: text('x'),
        moduleId: module.id,
        segmentName: 'S',
      });
      expect(messageWithModule.status).toBe(400);
      expect(messageWithModule.body.details[0].field).toBe('moduleId');
    });

    it('creates a module answer', async () => {
      const module = await createModule(t.admin, botId, { name: 'Quiz' });
      const referral = await createReferral(t.admin, botId, {
        trackingParam: 'quiz',
        answerType: 'module',
        content: undefined,
        moduleId: module.id,
      });
      expect(referral).toMatchObject({ answerType: 'module', moduleId: module.id, content: null });
    });

    it("refuses another bot's module, directly or inside content", async () => {
      const other = await createBot(t.admin, 'Other bot');
      const foreign = await createModule(t.admin, other.id);
      const before = await count();
      const direct = await t.admin.post(base, {
        trackingParam: 'foreign-module',
        answerType: 'module',
        moduleId: foreign.id,
        segmentName: 'S',
      });
      expect(direct.status).toBe(400);
      expect(direct.body.details).toEqual([
        { field: 'moduleId', messages: ['no module instance with this id in this bot'] },
      ]);
      const inButton = await t.admin.post(base, {
        trackingParam: 'foreign-button',
        answerType: 'message',
        content: {
          messages: [
            { type: 'text', text: 'Hello' },
            {
              type: 'buttons',
              text: 'Pick',
              buttons: [{ type: 'module', title: 'Go', moduleId: foreign.id }],
            },
          ],
        },
        segmentName: 'S',
      });
      expect(inButton.status).toBe(400);
      expect(inButton.body.details[0].field).toBe('content.messages[1].buttons[0].moduleId');
      expect(await count()).toBe(before);
    });

    it('rejects invalid content with the path of the bad field', async () => {
      const response = await t.admin.post(base, {
        trackingParam: 'bad-content',
        answerType: 'message',
        content: { messages: [{ type: 'text', text: 'x'.repeat(2001) }] },
        segmentName: 'S',
      });
      expect(response.status).toBe(400);
      expect(response.body.details[0].field).toBe('content.messages[0].text');
      const placeholder = await t.admin.post(base, {
        trackingParam: 'bad-placeholder',
        answerType: 'message',
        content: text('Hi {{contact.email}}'),
        segmentName: 'S',
      });
      expect(placeholder.status).toBe(400);
      expect(placeholder.body.details[0].field).toBe('content.messages[0].text');
      expect(placeholder.body.details[0].messages.join(' ')).toContain('{{contact.email}}');
    });
  });

  describe("Messenger's limits on content", () => {
    const urlButton = (url = 'https://example.com', title = 'Open'): object => ({
      type: 'url',
      title,
      url,
    });
    const buttons = (list: object[]): object => ({ type: 'buttons', text: 'Pick', buttons: list });
    let limitModuleId: string;
    const replies = (count: number, title = 'Yes'): object => ({
      type: 'quickReplies',
      text: 'Pick',
      replies: Array.from({ length: count }, () => ({ title, moduleId: limitModuleId })),
    });

    beforeAll(async () => {
      limitModuleId = (await createModule(t.admin, botId, { name: 'Limits target' })).id;
    });

    it.each([
      ['4 buttons', () => buttons(Array(4).fill(urlButton())), 'content.messages[0].buttons'],
      ['0 buttons', () => buttons([]), 'content.messages[0].buttons'],
      ['14 quick replies', () => replies(14), 'content.messages[0].replies'],
      ['0 quick replies', () => replies(0), 'content.messages[0].replies'],
      [
        'a 21-character button title',
        () => buttons([urlButton('https://example.com', 't'.repeat(21))]),
        'content.messages[0].buttons[0].title',
      ],
      [
        'a 21-character quick reply title',
        () => replies(1, 't'.repeat(21)),
        'content.messages[0].replies[0].title',
      ],
      [
        'a javascript: URL',
        () => buttons([urlButton('javascript:alert(1)')]),
        'content.messages[0].buttons[0].url',
      ],
      [
        'an ftp: URL',
        () => buttons([urlButton('ftp://example.com/file')]),
        'content.messages[0].buttons[0].url',
      ],
      [
        'an image with a javascript: URL',
        () => ({ type: 'image', url: 'javascript:alert(1)' }),
        'content.messages[0].url',
      ],
      [
        'text over 2,000 characters',
        () => ({ type: 'text', text: 'x'.repeat(2001) }),
        'content.messages[0].text',
      ],
      [
        'button text over 640 characters',
        () => ({ type: 'buttons', text: 'x'.repeat(641), buttons: [urlButton()] }),
        'content.messages[0].text',
      ],
    ])('refuses %s with 400 VALIDATION_FAILED naming the field', async (_case, message, field) => {
      const before = await count();
      const response = await t.admin.post(base, {
        trackingParam: 'over-the-limit',
        answerType: 'message',
        content: { messages: [message()] },
        segmentName: 'S',
      });
      expect(response.status).toBe(400);
      expect(response.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      expect(await count()).toBe(before);
    });

    it('accepts content at the limits', async () => {
      const referral = await createReferral(t.admin, botId, {
        trackingParam: 'at-the-limits',
        content: {
          messages: [
            { type: 'text', text: 'x'.repeat(2000) },
            buttons(Array(3).fill(urlButton('http://example.com', 't'.repeat(20)))),
            replies(13, 't'.repeat(20)),
          ],
        },
      });
      expect(referral.content.messages).toHaveLength(3);
    });
  });
});
