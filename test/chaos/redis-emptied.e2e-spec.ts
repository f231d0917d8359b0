import { createReferral, text } from '../support/fixtures';
import { startMessengerApp, type MessengerTestApp } from '../support/messenger-harness';
import { delivery, getStartedWithRef } from '../support/messenger-payloads';
import { PrivateRedis } from '../support/private-redis';
import { waitFor } from '../support/wait-for';

/**
 * Redis killed and started again with no data (a restart without persistence, a failover to a
 * replica that lagged, a flush): the maintenance schedules lived there, and with them the
 * sweepers. Within 30 s of Redis returning, a delivery stored while it was down and a reply whose
 * queued retry was lost with it are both answered, once.
 */
describe('Redis that comes back empty', () => {
  const redis = new PrivateRedis();
  let t: MessengerTestApp;

  beforeAll(async () => {
    await redis.start();
    t = await startMessengerApp({ REDIS_URL: redis.url });
    await createReferral(t.admin, t.botId, {
      trackingParam: 'empty',
      content: text('Hello again'),
    });
  });
  afterAll(async () => {
    await t?.close();
    await redis.kill();
  });

  const answer = (psid: string) =>
    t.deliver(delivery(t.pageId, [getStartedWithRef({ pageId: t.pageId, psid, ref: 'empty' })]));

  it('queues again, within 30 s, what was pending and what Redis lost, and answers each once', async () => {
    // A reply whose first send fails: its retry waits in Redis, and goes with it.
    t.graph.failNext(1, { status: 500, error: { message: 'Please retry', code: 2 } });
    expect((await answer('lost-retry')).status).toBe(200);
    await waitFor(() => t.graph.failedSends.length === 1, {
      intervalMs: 10,
      what: 'the first send to fail',
    });
    await redis.kill();
    // Stored while Redis is away: acknowledged, its job never added.
    expect((await answer('while-down')).status).toBe(200);

    await redis.start();
    const back = Date.now();
    await waitFor(
      () => t.graph.sendsTo('lost-retry').length > 0 && t.graph.sendsTo('while-down').length > 0,
      { timeoutMs: 60_000, intervalMs: 100, what: 'both deliveries to be answered' },
    );
    const answeredAfterMs = Date.now() - back;
    await t.settle(30_000);
    expect(t.graph.sendsTo('lost-retry')).toHaveLength(1);
    expect(t.graph.sendsTo('while-down')).toHaveLength(1);
    expect(answeredAfterMs).toBeLessThan(30_000);
  }, 120_000);
});
