import { getQueueToken } from '@nestjs/bull';
import { type Queue } from 'bull';
import { QueueName } from '../../src/queues';
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
  /**
   * `settle`, then waits until no inbound or outbound job is waiting, running or scheduled for a
   * retry: after it, nothing more can be sent, so a test asserting that nothing was sent need not
   * sleep.
   */
  quiesce(timeoutMs?: number): Promise<void>;
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
  const settle = async (timeoutMs = 15_000): Promise<void> => {
    await waitFor(
      async () =>
        (await count(`SELECT count(*) AS n FROM messenger_inbox WHERE status = 'pending'`)) === 0 &&
        (await count(`SELECT count(*) AS n FROM replies WHERE status = 'pending'`)) === 0,
      { timeoutMs, what: 'inbox and replies to settle' },
    );
  };

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
    settle,
    async quiesce(timeoutMs = 15_000) {
      await settle(timeoutMs);
      const queues = [QueueName.MessengerInbound, QueueName.Outbound].map((name) =>
        t.app.get<Queue>(getQueueToken(name)),
      );
      await waitFor(
        async () => {
          for (const queue of queues) {
            const jobs = await queue.getJobCounts();
            if (jobs.waiting + jobs.active + jobs.delayed > 0) return false;
          }
          return true;
        },
        { timeoutMs, what: 'inbound and outbound queues to be idle' },
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
