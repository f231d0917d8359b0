import fc from 'fast-check';
import { createBot, createModule, createReferral } from '../support/fixtures';
import { rawHttp } from '../support/raw-http';
import { startTestApp, type TestApp } from '../support/test-app';

/** The one error body; `code` is stable upper snake case. */
const SHAPE = {
  statusCode: expect.any(Number),
  error: expect.any(String),
  message: expect.any(String),
  code: expect.stringMatching(/^[A-Z][A-Z0-9_]*$/),
};

const nested = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

interface Operation {
  method: string;
  path: string;
}

describe('Refusals: bad input is a clear 4xx in the one error body', () => {
  let t: TestApp;
  let botId: string;
  let moduleId: string;
  let referralId: string;

  beforeAll(async () => {
    t = await startTestApp();
    botId = (await createBot(t.admin)).id;
    moduleId = (await createModule(t.admin, botId)).id;
    referralId = (await createReferral(t.admin, botId, { trackingParam: 'deep' })).id;
  });
  afterAll(() => t.close());

  /** Every operation of the OpenAPI document that takes a body, with its path ids filled in. */
  async function bodyOperations(): Promise<Operation[]> {
    const document = (await t.http.get('/docs-json')).body;
    const ids: Record<string, string> = { botId, moduleId, referralId };
    const found: Operation[] = [];
    for (const [path, item] of Object.entries<Record<string, any>>(document.paths)) {
      // The webhook is not refused for depth: it answers 200 and records the item as ignored
      // (test/messenger/junk.e2e-spec.ts), or Meta would redeliver it until the subscription is cut.
      if (path.startsWith('/webhooks/')) continue;
      for (const [method, operation] of Object.entries<any>(item)) {
        if (!operation.requestBody) continue;
        const filled = path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? botId);
        found.push({ method: method.toUpperCase(), path: filled });
      }
    }
    return found;
  }

  describe('1. a body nested beyond 32 levels is 400 BODY_TOO_DEEP on every body-taking route', () => {
    it('refuses the 1,400-level body of the report everywhere, for existing and unknown ids', async () => {
      const operations = await bodyOperations();
      expect(operations.length).toBeGreaterThanOrEqual(9);
      const raw = `{"name":${nested(1400)}}`;
      const unknown = '00000000-0000-4000-8000-000000000000';
      for (const { method, path } of operations) {
        for (const target of [path, path.replaceAll(botId, unknown)]) {
          const response = await t.admin.request(method, target, {
            raw,
            headers: { 'content-type': 'application/json' },
          });
          expect({ target, status: response.status, body: response.body }).toEqual({
            target,
            status: 400,
            body: { ...SHAPE, code: 'BODY_TOO_DEEP' },
          });
        }
      }
    });

    it('lets 32 levels reach validation and refuses 33, at any place in the body', async () => {
      const at = (depth: number): string => `{"name":"ok","extra":{"x":${nested(depth - 2)}}}`;
      const fine = await t.admin.request('POST', '/api/v1/bots', {
        raw: at(32),
        headers: { 'content-type': 'application/json' },
      });
      expect(fine.body).toMatchObject({ code: 'VALIDATION_FAILED' });
      const deep = await t.admin.request('POST', '/api/v1/bots', {
        raw: at(33),
        headers: { 'content-type': 'application/json' },
      });
      expect(deep.body).toMatchObject({ code: 'BODY_TOO_DEEP' });
    });
  });

  describe('2. no service code runs on a body that has a value of the wrong JSON type', () => {
    const WRONG = [[], [{}], null, 0, 'text', true, {}];

    it('refuses the inputs of the report with 400 naming the field', async () => {
      const cases: [string, string, unknown, string][] = [
        ['PATCH', `/api/v1/bots/${botId}`, { welcome: [] }, 'welcome'],
        [
          'POST',
          `/api/v1/bots/${botId}/referrals`,
          { trackingParam: 'x1', answerType: 'message', content: [], segmentName: 's' },
          'content',
        ],
        ['PATCH', `/api/v1/bots/${botId}/referrals/${referralId}`, { content: [] }, 'content'],
        [
          'POST',
          `/api/v1/bots/${botId}/modules`,
          { name: 'm', type: 'message', config: { content: [] } },
          'config.content',
        ],
        [
          'POST',
          `/api/v1/bots/${botId}/modules`,
          { name: 'm', type: 'handover', config: { content: [] } },
          'config.content',
        ],
        [
          'PATCH',
          `/api/v1/bots/${botId}/modules/${moduleId}`,
          { config: { content: [] } },
          'config.content',
        ],
      ];
      for (const [method, path, body, field] of cases) {
        const response = await t.admin.request(method, path, { body });
        expect({ path, body, status: response.status }).toEqual({ path, body, status: 400 });
        expect(response.body).toMatchObject({ ...SHAPE, code: 'VALIDATION_FAILED' });
        expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
      }
    });

    it('refuses any node of valid content replaced by a value of another JSON type (property)', async () => {
      const content = {
        messages: [
          { type: 'text', text: 'Hi' },
          { type: 'image', url: 'https://example.com/a.png' },
          {
            type: 'buttons',
            text: 'Pick',
            buttons: [
              { type: 'url', title: 'Site', url: 'https://example.com' },
              { type: 'module', title: 'Go', moduleId },
            ],
          },
          { type: 'quickReplies', text: 'Pick', replies: [{ title: 'Go', moduleId }] },
        ],
      };
      const nodes: (string | number)[][] = [];
      const walk = (value: unknown, path: (string | number)[]): void => {
        if (value === null || typeof value !== 'object') return;
        nodes.push(path);
        for (const [key, child] of Object.entries(value))
          walk(child, [...path, Array.isArray(value) ? Number(key) : key]);
      };
      walk(content, []);
      const kindOf = (value: unknown): string =>
        Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
      type Target = (c: unknown) => [string, string, unknown, string];
      // Every place Creator content is taken: bot welcome, referral and module (create and
      // update, both module types), broadcast.
      const bots = `/api/v1/bots/${botId}`;
      const targets: Target[] = [
        (c) => ['PATCH', bots, { welcome: c }, 'welcome'],
        (c) => [
          'POST',
          `${bots}/referrals`,
          { trackingParam: 'typed', answerType: 'message', content: c, segmentName: 's' },
          'content',
        ],
        (c) => ['PATCH', `${bots}/referrals/${referralId}`, { content: c }, 'content'],
        (c) => [
          'POST',
          `${bots}/modules`,
          { name: 'm', type: 'message', config: { content: c } },
          'config.content',
        ],
        (c) => [
          'POST',
          `${bots}/modules`,
          { name: 'm', type: 'handover', config: { content: c } },
          'config.content',
        ],
        (c) => [
          'PATCH',
          `${bots}/modules/${moduleId}`,
          { config: { content: c } },
          'config.content',
        ],
        (c) => [
          'POST',
          `${bots}/broadcasts`,
          { name: 'b', audience: { include: [moduleId] }, content: c },
          'content',
        ],
      ];
      // Nothing a refused request could have written: the bot, its referrals, modules, broadcasts.
      const state = async (): Promise<unknown> =>
        (
          await t.db.query(
            `SELECT (SELECT row_to_json(b)::text FROM bots b WHERE id = $1) AS bot,
                    (SELECT json_agg(r ORDER BY id)::text FROM referrals r WHERE bot_id = $1) AS referrals,
                    (SELECT json_agg(m ORDER BY id)::text FROM module_instances m WHERE bot_id = $1) AS modules,
                    (SELECT count(*)::int FROM broadcasts WHERE bot_id = $1) AS broadcasts`,
            [botId],
          )
        ).rows[0];
      const before = await state();
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...nodes),
          fc.constantFrom(...WRONG),
          fc.constantFrom(...targets),
          async (path, wrong, target) => {
            const copy = structuredClone(content) as any;
            let parent: any = { root: copy };
            let key: string | number = 'root';
            for (const step of path) {
              parent = parent[key];
              key = step;
            }
            fc.pre(kindOf(parent[key]) !== kindOf(wrong));
            parent[key] = wrong;
            const [method, url, body, prefix] = target(path.length ? copy : wrong);
            // A hand-over module's content is optional: null there means none, and is taken.
            fc.pre(
              !(path.length === 0 && wrong === null && JSON.stringify(body).includes('handover')),
            );
            const response = await t.admin.request(method, url, { body });
            expect({ path, wrong, status: response.status }).toEqual({ path, wrong, status: 400 });
            expect(response.body).toMatchObject({ ...SHAPE, code: 'VALIDATION_FAILED' });
            const named = path.reduce<string>(
              (p, step) => (typeof step === 'number' ? `${p}[${step}]` : `${p}.${step}`),
              prefix,
            );
            // The issue names the replaced field or the list that holds it.
            const fields: string[] = response.body.details.map((d: { field: string }) => d.field);
            expect(fields.some((f) => named.startsWith(f) || f.startsWith(named))).toBe(true);
          },
        ),
        { seed: 9, numRuns: 300 },
      );
      expect(await state()).toEqual(before);
    });
  });

  describe("3. what Node's HTTP parser and Fastify refuse has the one body, a code and a request id", () => {
    const cases: [string, string, number, string][] = [
      [
        'a 100,000-character query string',
        `GET /health?x=${'a'.repeat(100_000)} HTTP/1.1\r\nHost: x\r\n\r\n`,
        431,
        'HEADERS_TOO_LARGE',
      ],
      [
        'Content-Length together with chunked',
        'POST /api/v1/bots HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
        400,
        'MALFORMED_REQUEST',
      ],
      [
        'a control character in a header',
        'GET /health HTTP/1.1\r\nHost: x\r\nX-Bad: a\u0001b\r\n\r\n',
        400,
        'MALFORMED_REQUEST',
      ],
      ['a space in the path', 'GET /he alth HTTP/1.1\r\nHost: x\r\n\r\n', 400, 'MALFORMED_REQUEST'],
      ['not HTTP at all', 'HELLO\r\n\r\n', 400, 'MALFORMED_REQUEST'],
      // What Node's server answers itself, without the parser failing or Fastify seeing it.
      [
        'an HTTP/1.1 request without Host',
        'GET /health HTTP/1.1\r\n\r\n',
        400,
        'MALFORMED_REQUEST',
      ],
      [
        'an Expect other than 100-continue',
        'GET /health HTTP/1.1\r\nHost: x\r\nExpect: teapot\r\n\r\n',
        417,
        'EXPECTATION_FAILED',
      ],
      [
        'CONNECT',
        'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
        405,
        'METHOD_NOT_ALLOWED',
      ],
    ];

    it.each(cases)('answers %s', async (_name, request, status, code) => {
      const answer = await rawHttp(t.http.baseUrl, request);
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toMatch(/^application\/json/);
      expect(answer.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(answer.body)).toEqual({ ...SHAPE, statusCode: status, code });
    });

    it('answers what Fastify and Nest refuse (404, 413, 415, 401, 400) with a code and a request id', async () => {
      const json = { 'content-type': 'application/json' };
      const answers = [
        await t.admin.get('/api/v1/nothing-here'),
        await t.admin.request('DELETE', '/health'),
        await t.admin.request('POST', '/api/v1/bots', {
          raw: 'x'.repeat(1_100_000),
          headers: json,
        }),
        await t.admin.request('POST', '/api/v1/bots', {
          raw: 'name=x',
          headers: { 'content-type': 'text/plain' },
        }),
        await t.http.get('/api/v1/bots'),
        await t.admin.request('POST', '/api/v1/bots', { raw: '{', headers: json }),
      ];
      expect(answers.map((a) => [a.status, a.body.code])).toEqual([
        [404, 'NOT_FOUND'],
        [404, 'NOT_FOUND'],
        [413, 'PAYLOAD_TOO_LARGE'],
        [415, 'UNSUPPORTED_MEDIA_TYPE'],
        [401, 'UNAUTHORIZED'],
        [400, 'INVALID_JSON'],
      ]);
      for (const answer of answers) {
        expect(answer.body).toEqual({ ...SHAPE, statusCode: answer.status });
        expect(answer.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });
});
