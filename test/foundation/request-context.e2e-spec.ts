import { storage } from 'nestjs-pino/storage';
import { SseClient } from '../support/sse';
import { startTestApp, type TestApp } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { changeSchema } from '../support/schema-change';

/** Whether nestjs-pino's AsyncLocalStorage (Node 20: its async hooks) is switched on. */
const contextOn = (): boolean => (storage as unknown as { enabled: boolean }).enabled;

describe("The logs' request context (src/common/logging/request-context.ts)", () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('is switched off once no request is in flight, and on again for the next one', async () => {
    expect(typeof contextOn()).toBe('boolean');
    const listed = await t.admin.get('/api/v1/bots');
    expect(listed.status).toBe(200);
    await waitFor(() => !contextOn(), { what: 'the request context switched off' });

    // A line logged inside the next request still carries that request's id (from the context:
    // the request line of pino-http and the filter's requestId come from elsewhere).
    await changeSchema(t.db, 'ALTER TABLE bots RENAME TO bots_moved');
    try {
      const response = await t.admin.get('/api/v1/bots', {
        headers: { 'x-request-id': 'req-context-on' },
      });
      expect(response.status).toBe(500);
      const errorId = response.body.details.errorId as string;
      const line = t.logs.lines.map((l) => JSON.parse(l)).find((l) => l.errorId === errorId);
      expect(line).toMatchObject({ msg: 'Unexpected error', req: { id: 'req-context-on' } });
    } finally {
      await changeSchema(t.db, 'ALTER TABLE bots_moved RENAME TO bots');
    }
    await waitFor(() => !contextOn(), { what: 'the request context switched off again' });
  });

  it('is switched off while a widget event stream stays open', async () => {
    const bot = await t.admin.post('/api/v1/bots', { name: 'Context bot' });
    const api = `/api/v1/widget/${bot.body.channels.widget.widgetKey}`;
    const session = await t.http.post(`${api}/sessions`, {});
    expect(session.status).toBe(200);
    const stream = new SseClient();
    try {
      await stream.open(`${t.http.baseUrl}${api}/stream`, {
        'x-widget-session': session.body.token as string,
      });
      expect(stream.status).toBe(200);
      // Once live, the stream no longer counts as a request in flight.
      await waitFor(() => !contextOn(), { what: 'the context off with the stream open' });
    } finally {
      await stream.close();
    }
  });
});
