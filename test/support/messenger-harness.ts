import { FakeGraphApi } from './fake-graph-api';
import { connectPage, createBot } from './fixtures';
import { type HttpResponse } from './http';
import { signedRequest } from './messenger-payloads';
import { startTestApp, TEST_APP_SECRET, type TestApp } from './test-app';
import { waitFor } from './wait-for';

export interface MessengerTestApp extends TestApp {
  graph: FakeGraphApi;
  botId: string;
  pageId: string;
  pageToken: string;
  /** POSTs a webhook delivery exactly as Meta does: escaped JSON, signed over those bytes. */
  deliver(envelope: unknown): Promise<HttpResponse>;
  /** Waits until no inbox item is pending and no reply is waiting to be sent. */
  settle(timeoutMs?: number): Promise<void>;
  count(sql: string, params?: unknown[]): Promise<number>;
}

/** The real app wired to a fake Graph API on loopback, with one bot connected to one page. */
export async function startMessengerApp(
  env: Record<string, string> = {},
): Promise<MessengerTestApp> {
  const graph = new FakeGraphApi();
  const graphUrl = await graph.start();
  const t = await startTestApp({ MESSENGER_GRAPH_API_URL: graphUrl, ...env });
  const bot = await createBot(t.admin, 'Messenger bot');
  const page = await connectPage(t.admin, bot.id);
  const count = async (sql: string, params: unknown[] = []): Promise<number> =>
    Number((await t.db.query(sql, params)).rows[0].n);
  return {
    ...t,
    graph,
    botId: bot.id,
    pageId: page.pageId,
    pageToken: page.pageAccessToken,
    count,
    deliver(envelope: unknown) {
      const request = signedRequest(envelope, TEST_APP_SECRET);
      return t.http.request('POST', '/webhooks/messenger', {
        raw: request.raw,
        headers: request.headers,
      });
    },
    async settle(timeoutMs = 15_000) {
      await waitFor(
        async () =>
          (await count(`SELECT count(*) AS n FROM messenger_inbox WHERE status = 'pending'`)) ===
            0 && (await count(`SELECT count(*) AS n FROM replies WHERE status = 'pending'`)) === 0,
        { timeoutMs, what: 'inbox and replies to settle' },
      );
    },
    async close() {
      try {
        await t.close();
      } finally {
        await graph.stop();
      }
    },
  };
}
