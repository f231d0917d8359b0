import { getQueueToken } from '@nestjs/bull';
import { type INestApplicationContext } from '@nestjs/common';
import { type Queue } from 'bull';
import { createWorkerContext } from '../../src/app.factory';
import { loadConfig } from '../../src/config';
import { QueueName } from '../../src/queues';
import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { TcpProxy } from '../support/tcp-proxy';
import { LogCapture, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';

const pending = (t: MessengerTestApp): Promise<number> =>
  t.count(`SELECT count(*) AS n FROM messenger_inbox WHERE status = 'pending'`);

describe('When Redis goes away during intake', () => {
  const redis = new TcpProxy('127.0.0.1', 6379);
  let t: MessengerTestApp;

  beforeAll(async () => {
    const port = await redis.start();
    t = await startMessengerApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'outage',
      content: text('Delivered after all'),
    });
  });
  afterAll(async () => {
    await redis.restore();
    await t.close();
    await redis.cut();
  });

  it('still answers 200 once the items are stored, and delivers them after Redis returns', async () => {
    await redis.cut();
    const response = await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'during-outage', ref: 'outage' }),
      ]),
    );
    expect(response.status).toBe(200);
    expect(response.text).toBe('EVENT_RECEIVED');
    // Stored, and handled, by the batch that stored it: only its answer waits for Redis.
    expect(
      await t.count(
        `SELECT count(*) AS n FROM messenger_inbox WHERE sender_key = 'psid:during-outage'
            AND status = 'processed' AND processed_at = received_at`,
      ),
    ).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(t.graph.sends).toHaveLength(0);

    await redis.restore();
    const [send] = await t.graph.waitForSends(1, 30_000);
    expect(send.message).toEqual({ text: 'Delivered after all' });
    await t.settle();
    expect(t.graph.sendsTo('during-outage')).toHaveLength(1);
    expect(await t.count(`SELECT count(*) AS n FROM referral_entries`)).toBe(1);
  });
});

describe('When Postgres goes away', () => {
  const postgres = new TcpProxy('127.0.0.1', 5432);
  let t: MessengerTestApp;

  beforeAll(async () => {
    const port = await postgres.start();
    t = await startMessengerApp({
      DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/${uniqueName('bp_test_pg')}`,
    });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'pg',
      content: text('Stored this time'),
    });
  });
  afterAll(async () => {
    await postgres.restore();
    await t.close();
    await postgres.cut();
  });

  it('answers 503 so that Meta redelivers, and takes the redelivery once Postgres is back', async () => {
    const value = delivery(t.pageId, [
      getStartedWithRef({ pageId: t.pageId, psid: 'pg-outage', ref: 'pg' }),
    ]);
    await postgres.cut();
    const refused = await t.deliver(value);
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('STORAGE_UNAVAILABLE');
    await postgres.restore();
    const accepted = await waitFor(
      async () => {
        const response = await t.deliver(value);
        return response.status === 200 ? response : undefined;
      },
      { what: 'the webhook to accept again', timeoutMs: 20_000 },
    );
    expect(accepted.text).toBe('EVENT_RECEIVED');
    await t.graph.waitForSends(1, 20_000);
    expect(t.graph.sendsTo('pg-outage')).toHaveLength(1);
  });
});

describe('Process roles and shutdown', () => {
  let t: MessengerTestApp;
  let worker: INestApplicationContext | undefined;

  beforeAll(async () => {
    t = await startMessengerApp({ PROCESS_ROLE: 'api' });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'roles',
      content: text('From the worker process'),
    });
  });
  afterAll(async () => {
    await worker?.close();
    await t.close();
  });

  it('an api process stores and queues but sends nothing; a worker process sends, and finishes its job on shutdown', async () => {
    await t.deliver(
      delivery(t.pageId, [
        getStartedWithRef({ pageId: t.pageId, psid: 'roles-user', ref: 'roles' }),
      ]),
    );
    // The job waits in its queue: an api process has no processor to take it (had it one, the job
    // would be active or done instead, and the answer sent).
    const inbound = t.app.get<Queue>(getQueueToken(QueueName.MessengerInbound));
    await waitFor(async () => (await inbound.getJobCounts()).waiting === 1, {
      what: 'the inbound job to wait in its queue',
    });
    const jobs = await inbound.getJobCounts();
    expect([jobs.active, jobs.completed, jobs.failed]).toEqual([0, 0, 0]);
    expect(t.graph.sends).toHaveLength(0);
    expect(await pending(t)).toBe(1);

    // The Graph API answers slowly, so the worker is shut down while the send is in flight.
    t.graph.setLatency(1500);
    const env = { ...process.env };
    const config = loadConfig({
      ...Object.fromEntries(Object.entries(env).filter(([k]) => k === 'PATH')),
      NODE_ENV: 'test',
      DATABASE_URL: t.config.databaseUrl,
      REDIS_URL: t.config.redisUrl,
      QUEUE_PREFIX: t.config.queuePrefix,
      ADMIN_TOKEN: t.config.adminToken,
      SECRETS_KEY: 'k'.repeat(40),
      MESSENGER_GRAPH_API_URL: t.config.messenger.graphApiUrl,
      PROCESS_ROLE: 'worker',
    });
    // Tokens are encrypted with the api process's key; the worker must share it.
    Object.assign(config, { secretsKey: t.config.secretsKey });
    worker = await createWorkerContext(config, { logDestination: new LogCapture() });
    await t.graph.waitForSends(1, 20_000);
    const closing = Date.now();
    await worker.close();
    worker = undefined;
    expect(Date.now() - closing).toBeGreaterThan(500);
    const sent = await t.db.query(
      `SELECT status FROM messages WHERE direction = 'out' AND conversation_id IN
         (SELECT c.id FROM conversations c JOIN contacts k ON k.id = c.contact_id WHERE k.external_id = 'roles-user')`,
    );
    expect(sent.rows).toEqual([{ status: 'sent' }]);
    expect(t.graph.sendsTo('roles-user')).toHaveLength(1);
  });
});

describe('Graceful shutdown of a process with HTTP and workers', () => {
  it('stops taking HTTP at once, then lets the job in flight finish before closing', async () => {
    const t = await startMessengerApp();
    try {
      await createReferral(t.admin, t.botId, {
        trackingParam: 'bye',
        content: text('Sent during shutdown'),
      });
      t.graph.setLatency(1500);
      await t.deliver(
        delivery(t.pageId, [
          getStartedWithRef({ pageId: t.pageId, psid: 'shutdown-user', ref: 'bye' }),
        ]),
      );
      await t.graph.waitForSends(1, 10_000);
      let closed = false;
      const closing = t.app.close().then(() => (closed = true));
      // HTTP is closed while the send is still in flight.
      await waitFor(
        () =>
          fetch(`${t.http.baseUrl}/health`).then(
            () => false,
            () => true,
          ),
        { what: 'HTTP to stop answering' },
      );
      expect(closed).toBe(false);
      await closing;
      const sent = await t.db.query(
        `SELECT m.status FROM messages m JOIN replies r ON r.id = m.reply_id WHERE r.status = 'sent'`,
      );
      expect(sent.rows).toEqual([{ status: 'sent' }]);
    } finally {
      await t.close().catch(() => undefined);
    }
  });
});
