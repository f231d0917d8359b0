import Queue, { type Queue as BullQueue } from 'bull';
import { QueueName } from '../../src/queues';
import { AppProcess } from '../support/app-process';
import { FakeGraphApi } from '../support/fake-graph-api';
import { connectPage, createBot, createReferral, text } from '../support/fixtures';
import { delivery, getStartedWithRef, signedRequest } from '../support/messenger-payloads';
import {
  REDIS_URL,
  startTestApp,
  TEST_APP_SECRET,
  testEnv,
  type TestApp,
  uniqueName,
} from '../support/test-app';
import { waitFor } from '../support/wait-for';

const DELIVERIES = 30;

/**
 * A worker process SIGKILLed while it holds jobs, and started again at once as a supervisor
 * would: every delivery acknowledged with 200 is answered within 10 s of the restart, none twice.
 * With Bull's default timing the dead process's jobs waited 30-90 s for the stalled-job check.
 */
describe('A worker process killed mid-flight', () => {
  const graph = new FakeGraphApi();
  let t: TestApp;
  let worker: AppProcess;
  let inbound: BullQueue;
  let pageId: string;

  beforeAll(async () => {
    const graphUrl = await graph.start();
    const env = testEnv(uniqueName('bp_test'), { MESSENGER_GRAPH_API_URL: graphUrl });
    // The api in this process (HTTP only); the workers in a process of their own, to kill.
    t = await startTestApp({ ...env, PROCESS_ROLE: 'api' });
    worker = new AppProcess('worker', { ...env, PROCESS_ROLE: 'worker', LOG_LEVEL: 'info' });
    inbound = new Queue(QueueName.MessengerInbound, REDIS_URL, { prefix: env.QUEUE_PREFIX });
    const bot = await createBot(t.admin, 'Killed worker bot');
    pageId = (await connectPage(t.admin, bot.id)).pageId;
    await createReferral(t.admin, bot.id, { trackingParam: 'crash', content: text('Still here') });
    worker.start();
    await worker.waitForLog('Queue workers started', 120_000);
  }, 180_000);

  afterAll(async () => {
    await worker?.kill();
    await inbound?.close();
    await t?.close();
    await graph.stop();
  });

  it('answers every acknowledged delivery within 10 s of the restart, each once', async () => {
    // Slow profile lookups keep the worker's inbound jobs active when it dies.
    graph.setProfileLatency(3000);
    const psids = Array.from({ length: DELIVERIES }, (_, i) => `killed-${i}`);
    for (const psid of psids) {
      const envelope = delivery(pageId, [getStartedWithRef({ pageId, psid, ref: 'crash' })]);
      const request = signedRequest(envelope, TEST_APP_SECRET);
      // Meta redelivers: each delivery twice.
      for (let copy = 0; copy < 2; copy++) {
        const response = await t.http.request('POST', '/webhooks/messenger', {
          raw: request.raw,
          headers: request.headers,
        });
        expect(response.status).toBe(200);
      }
    }
    await waitFor(async () => (await inbound.getActiveCount()) > 0, {
      timeoutMs: 30_000,
      what: 'the worker to hold active jobs',
    });

    await worker.kill('SIGKILL');
    graph.setProfileLatency(0);
    const from = worker.lines.length;
    worker.start();
    await worker.waitForLog('Queue workers started', 120_000, from);
    const restartedAt = Date.now();

    await waitFor(() => psids.every((psid) => graph.sendsTo(psid).length > 0), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'every delivery to be answered',
    });
    const answeredAfterMs = Date.now() - restartedAt;
    // Late answers and duplicates would show in the sends a little after the last one.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const counts = psids.map((psid) => graph.sendsTo(psid).length);
    expect(counts.filter((count) => count !== 1)).toEqual([]);
    expect(answeredAfterMs).toBeLessThan(10_000);
  }, 240_000);
});
