import SwaggerParser from '@apidevtools/swagger-parser';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { execFile } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { startTestApp, type TestApp } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

interface Operation {
  operationId: string;
  description?: string;
  responses: Record<string, { content?: Record<string, { schema?: { $ref?: string } }> }>;
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, { schema: unknown }> };
}

describe('OpenAPI document', () => {
  let t: TestApp;
  let document: {
    paths: Record<string, Partial<Record<(typeof METHODS)[number], Operation>>>;
    components: { schemas: Record<string, any> };
  };

  beforeAll(async () => {
    t = await startTestApp();
    document = (await t.http.get('/docs-json')).body;
  });
  afterAll(() => t.close());

  const operations = (): [string, string, Operation][] =>
    Object.entries(document.paths).flatMap(([path, item]) =>
      METHODS.filter((m) => item[m]).map((m) => [path, m, item[m]!] as [string, string, Operation]),
    );

  it('serves Swagger UI at /docs', async () => {
    const page = await t.http.get('/docs');
    expect(page.status).toBe(200);
    expect(page.text).toContain('swagger-ui');
  });

  it('is a valid OpenAPI 3 document', async () => {
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('documents every management route', () => {
    const routes = operations().map(([path, method]) => `${method.toUpperCase()} ${path}`);
    expect(routes).toEqual(
      expect.arrayContaining([
        'POST /api/v1/bots',
        'GET /api/v1/bots',
        'GET /api/v1/bots/{botId}',
        'PATCH /api/v1/bots/{botId}',
        'DELETE /api/v1/bots/{botId}',
        'PUT /api/v1/bots/{botId}/channels/messenger',
        'DELETE /api/v1/bots/{botId}/channels/messenger',
        'POST /api/v1/bots/{botId}/api-keys',
        'GET /api/v1/bots/{botId}/api-keys',
        'DELETE /api/v1/bots/{botId}/api-keys/{keyId}',
        'POST /api/v1/bots/{botId}/referrals',
        'GET /api/v1/bots/{botId}/referrals',
        'GET /api/v1/bots/{botId}/referrals/{referralId}',
        'PATCH /api/v1/bots/{botId}/referrals/{referralId}',
        'DELETE /api/v1/bots/{botId}/referrals/{referralId}',
        'GET /api/v1/bots/{botId}/referrals/{referralId}/qr',
        'POST /api/v1/bots/{botId}/modules',
        'GET /api/v1/bots/{botId}/modules',
        'GET /api/v1/bots/{botId}/modules/{moduleId}',
        'PATCH /api/v1/bots/{botId}/modules/{moduleId}',
        'DELETE /api/v1/bots/{botId}/modules/{moduleId}',
        'GET /api/v1/bots/{botId}/segments',
        'POST /api/v1/bots/{botId}/segments',
        'GET /api/v1/bots/{botId}/segments/{segmentId}',
        'GET /api/v1/bots/{botId}/segments/{segmentId}/members',
        'GET /api/v1/bots/{botId}/conversations',
        'GET /api/v1/bots/{botId}/conversations/{conversationId}',
        'GET /api/v1/bots/{botId}/conversations/{conversationId}/messages',
        'POST /api/v1/bots/{botId}/conversations/{conversationId}/release',
        'GET /webhooks/messenger',
        'POST /webhooks/messenger',
        'GET /health',
      ]),
    );
  });

  it('gives every operation a success response, error schemas, bodies and bearer auth', () => {
    for (const [path, method, operation] of operations()) {
      const where = `${method.toUpperCase()} ${path}`;
      const statuses = Object.keys(operation.responses);
      // A tracked link's success is its redirect.
      const success = (s: string): boolean =>
        s.startsWith('2') || (path.startsWith('/r/') && s === '302');
      expect({ where, success: statuses.some(success) }).toEqual({
        where,
        success: true,
      });
      for (const status of statuses.filter((s) => Number(s) >= 400)) {
        const ref = operation.responses[status].content?.['application/json']?.schema?.$ref;
        expect({ where, status, ref }).toEqual({
          where,
          status,
          ref: '#/components/schemas/ErrorBody',
        });
      }
      // Every write takes a documented body, except actions that are the whole request (release,
      // rotate-key, and a broadcast's pause, resume and cancel).
      const action = /\/(release|rotate-key|pause|resume|cancel)$/.test(path);
      if (['post', 'put', 'patch'].includes(method) && !action) {
        expect({
          where,
          body: Boolean(operation.requestBody?.content['application/json']?.schema),
        }).toEqual({
          where,
          body: true,
        });
      }
      // The widget's Chat API is public (a widget key and a visitor session, no bearer token).
      if (path.startsWith('/api/v1/widget/')) {
        expect({ where, security: operation.security }).toEqual({ where, security: undefined });
      } else if (path.startsWith('/api/v1')) {
        expect({ where, security: operation.security }).toEqual({
          where,
          security: [{ bearer: [] }],
        });
        expect({ where, has401: statuses.includes('401') }).toEqual({ where, has401: true });
      }
    }
  });

  it('declares the body schema of every success response', () => {
    for (const [path, method, operation] of operations()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!status.startsWith('2') || status === '204') continue;
        const content = Object.entries(response.content ?? {});
        // Webhook answers and the handshake echo are plain text, documented as such.
        if (content.length > 0 && content.every(([type]) => type === 'text/plain')) continue;
        const where = `${method.toUpperCase()} ${path} ${status}`;
        const withSchema = content.filter(([, media]) => media.schema !== undefined);
        expect({
          where,
          schemas: withSchema.length > 0 && withSchema.length === content.length,
        }).toEqual({
          where,
          schemas: true,
        });
      }
    }
  });

  it('warns on PATCH /referrals/{referralId} that links with the old trackingParam stop resolving', () => {
    const patch = document.paths['/api/v1/bots/{botId}/referrals/{referralId}'].patch;
    expect(patch?.description).toMatch(/`trackingParam`/);
    expect(patch?.description).toMatch(/old value stop resolving/);
    expect(patch?.description).toMatch(/default welcome/);
  });

  describe('module config', () => {
    const validator = (schema: string) => {
      // OpenAPI 3.0 keywords (nullable, discriminator, example) are not JSON Schema: not strict.
      const ajv = new Ajv({ strict: false, allErrors: true });
      // uri, uuid, date-time...: checked, not warned about as unknown.
      addFormats(ajv);
      ajv.addSchema({ components: document.components }, 'openapi');
      return ajv.getSchema(`openapi#/components/schemas/${schema}`)!;
    };

    it('lists the config of every registered module type under anyOf', () => {
      expect(document.components.schemas.ModuleConfig).toEqual({
        description: expect.stringContaining('depends on'),
        anyOf: [
          { $ref: '#/components/schemas/HandoverModuleConfigDto' },
          { $ref: '#/components/schemas/MessageModuleConfigDto' },
        ],
      });
      for (const dto of ['CreateModuleDto', 'UpdateModuleDto', 'ModuleInstanceDto']) {
        expect(document.components.schemas[dto].properties.config.allOf).toEqual([
          { $ref: '#/components/schemas/ModuleConfig' },
        ]);
      }
    });

    it.each([
      ['message', { content: { messages: [{ type: 'text', text: 'Hi' }] } }],
      ['handover', { content: { messages: [{ type: 'text', text: 'A human will answer' }] } }],
      ['handover', { note: 'VIP' }],
      ['handover', {}],
    ])('lets a strict validator accept a valid %s module body %j', (type, config) => {
      const validate = validator('CreateModuleDto');
      const valid = validate({ name: 'Module', type, config });
      expect(validate.errors ?? []).toEqual([]);
      expect(valid).toBe(true);
    });

    it('names the registered module types as the only values of `type`, as the API enforces', async () => {
      expect(document.components.schemas.CreateModuleDto.properties.type.enum).toEqual([
        'handover',
        'message',
      ]);
      const bot = (await t.admin.post('/api/v1/bots', { name: 'Types' })).body;
      const refused = await t.admin.post(`/api/v1/bots/${bot.id}/modules`, {
        name: 'Module',
        type: 'carousel',
        config: {},
      });
      expect(refused.status).toBe(400);
      expect(refused.body.details[0].field).toBe('type');
    });

    it('still lets a strict validator refuse a config of no registered shape', () => {
      const validate = validator('CreateModuleDto');
      expect(validate({ name: 'Module', type: 'message', config: { note: 42 } })).toBe(false);
    });
  });

  it('yields a generated TypeScript client that compiles against a usage file, and rejects misuse', async () => {
    const generatedRoot = join(__dirname, '.generated');
    mkdirSync(generatedRoot, { recursive: true });
    const dir = mkdtempSync(join(generatedRoot, 'client-'));
    try {
      writeFileSync(join(dir, 'openapi.json'), JSON.stringify(document));
      await promisify(execFile)(
        join(ROOT, 'node_modules', '.bin', 'openapi-typescript'),
        [join(dir, 'openapi.json'), '--output', join(dir, 'api.d.ts')],
        { cwd: ROOT },
      );
      copyFileSync(join(__dirname, 'fixtures', 'client-usage.ts.txt'), join(dir, 'usage.ts'));
      const program = ts.createProgram([join(dir, 'usage.ts')], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        types: [],
        lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
      });
      const problems = ts
        .getPreEmitDiagnostics(program)
        .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
