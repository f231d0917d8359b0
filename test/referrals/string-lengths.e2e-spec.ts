import { createBot, createModule, createReferral, text } from '../support/fixtures';
import { type HttpResponse } from '../support/http';
import { startTestApp, type TestApp } from '../support/test-app';

/**
 * `count` characters as Postgres and Meta count them (code points), made of "a" + U+FE0F pairs.
 * validator.js, behind class-validator's @Length, skips U+FE0F and sees only half of them, so such
 * strings once passed validation and then overflowed their varchar(n) column as a 500.
 */
const selectorText = (count: number): string =>
  'a\uFE0F'.repeat(Math.floor(count / 2)) + (count % 2 ? 'b' : '');

interface LimitCase {
  max: number;
  field: string;
  send: (value: string) => Promise<HttpResponse>;
  /** The stored value after a successful `send`. */
  stored: (response: HttpResponse) => Promise<string>;
}

describe('String lengths, counted in code points as Postgres and Meta count them', () => {
  let t: TestApp;
  let botId: string;
  let api: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin, 'Lengths bot')).id;
    api = `/api/v1/bots/${botId}`;
  });
  afterAll(() => t.close());

  const column = async (sql: string, id: string): Promise<string> =>
    (await t.db.query<{ v: string }>(sql, [id])).rows[0].v;

  let counter = 0;
  const param = (): string => `len-${++counter}`;

  const cases: Record<string, () => LimitCase> = {
    'a bot name': () => ({
      max: 100,
      field: 'name',
      send: (name) => t.admin.post('/api/v1/bots', { name }),
      stored: (r) => column('SELECT name AS v FROM bots WHERE id = $1', r.body.id),
    }),
    'a bot rename': () => ({
      max: 100,
      field: 'name',
      send: (name) => t.admin.patch(api, { name }),
      stored: (r) => column('SELECT name AS v FROM bots WHERE id = $1', r.body.id),
    }),
    'an API key name': () => ({
      max: 100,
      field: 'name',
      send: (name) => t.admin.post(`${api}/api-keys`, { name }),
      stored: (r) => column('SELECT name AS v FROM api_keys WHERE id = $1', r.body.id),
    }),
    'a segment name': () => ({
      max: 100,
      field: 'name',
      send: (name) => t.admin.post(`${api}/segments`, { name }),
      stored: (r) => column('SELECT name AS v FROM segments WHERE id = $1', r.body.id),
    }),
    "a referral's segmentName": () => ({
      max: 100,
      field: 'segmentName',
      send: (segmentName) =>
        t.admin.post(`${api}/referrals`, {
          trackingParam: param(),
          answerType: 'message',
          content: text('Hi'),
          segmentName,
        }),
      stored: (r) => column('SELECT name AS v FROM segments WHERE id = $1', r.body.segment.id),
    }),
    "a referral's description": () => ({
      max: 500,
      field: 'description',
      send: (description) =>
        t.admin.post(`${api}/referrals`, {
          trackingParam: param(),
          answerType: 'message',
          content: text('Hi'),
          segmentName: 'S',
          description,
        }),
      stored: (r) => column('SELECT description AS v FROM referrals WHERE id = $1', r.body.id),
    }),
    'a module name': () => ({
      max: 100,
      field: 'name',
      send: (name) =>
        t.admin.post(`${api}/modules`, { name, type: 'message', config: { content: text('x') } }),
      stored: (r) => column('SELECT name AS v FROM module_instances WHERE id = $1', r.body.id),
    }),
    "a handover module's note (copied to a varchar(500) on handover)": () => ({
      max: 500,
      field: 'config.note',
      send: (note) =>
        t.admin.post(`${api}/modules`, { name: 'Human', type: 'handover', config: { note } }),
      stored: (r) =>
        column("SELECT config->>'note' AS v FROM module_instances WHERE id = $1", r.body.id),
    }),
    'a text message': () => ({
      max: 2000,
      field: 'content.messages[0].text',
      send: (value) =>
        t.admin.post(`${api}/referrals`, {
          trackingParam: param(),
          answerType: 'message',
          content: text(value),
          segmentName: 'S',
        }),
      stored: (r) =>
        column("SELECT content#>>'{messages,0,text}' AS v FROM referrals WHERE id = $1", r.body.id),
    }),
    'a quick reply title': () => ({
      max: 20,
      field: 'config.content.messages[0].replies[0].title',
      send: async (title) => {
        const target = await createModule(t.admin, botId);
        return t.admin.post(`${api}/modules`, {
          name: 'Menu',
          type: 'message',
          config: {
            content: {
              messages: [
                { type: 'quickReplies', text: 'Pick', replies: [{ title, moduleId: target.id }] },
              ],
            },
          },
        });
      },
      stored: (r) =>
        column(
          "SELECT config#>>'{content,messages,0,replies,0,title}' AS v FROM module_instances WHERE id = $1",
          r.body.id,
        ),
    }),
  };

  it.each(Object.keys(cases))(
    'refuses %s one character over the limit with 400, and stores one at the limit',
    async (name) => {
      const { max, field, send, stored } = cases[name]();
      const over = await send(selectorText(max + 1));
      expect(over.status).toBe(400);
      expect(over.body).toMatchObject({ statusCode: 400, code: 'VALIDATION_FAILED' });
      expect(over.body.details).toEqual([
        {
          field,
          messages: [
            `${field.split('.').pop()} must be shorter than or equal to ${max} characters`,
          ],
        },
      ]);
      const atLimit = selectorText(max);
      const accepted = await send(atLimit);
      expect([200, 201]).toContain(accepted.status);
      expect(await stored(accepted)).toBe(atLimit);
    },
  );

  it('takes emoji outside the Basic Multilingual Plane as one character each', async () => {
    const referral = await createReferral(t.admin, botId, {
      trackingParam: 'emoji-segment',
      segmentName: '🌷'.repeat(100),
    });
    expect(referral.segment.name).toBe('🌷'.repeat(100));
  });
});
