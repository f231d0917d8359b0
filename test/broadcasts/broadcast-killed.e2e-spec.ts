import { AppProcess } from '../support/app-process';
import { FakeGraphApi } from '../support/fake-graph-api';
import { connectPage, createBot } from '../support/fixtures';
import { startTestApp, testEnv, type TestApp, uniqueName } from '../support/test-app';
import { waitFor } from '../support/wait-for';
import { seedAudience } from './broadcast-support';

const AUDIENCE = 200;

/**
 * Issue 14: the worker process running a broadcast is SIGKILLed mid-send and started again, as a
 * supervisor would: every recipient gets the broadcast exactly once (the recipient states, the
 * keyed replies and their send claims; the in-flight sends are looked up, not sent again).
 */
describe('A worker killed mid-broadcast', () => {
  const graph = new FakeGraphApi();
  let t: TestApp;
  let worker: AppProcess;
  let botId: string;
  let segmentId: string;
  const psids = Array.from({ length: AUDIENCE }, (_, i) => `killed-b-${i}`);

  beforeAll(async () => {
    const graphUrl = await graph.start();
    const env = testEnv(uniqueName('bp_test'), { MESSENGER_GRAPH_API_URL: graphUrl });
    t = await startTestApp({ ...env, PROCESS_ROLE: 'api' });
    worker = new AppProcess('worker', { ...env, PROCESS_ROLE: 'worker', LOG_LEVEL: 'info' });
    botId = (await createBot(t.admin, 'Killed broadcast bot')).id;
    await connectPage(t.admin, botId);
    segmentId = (await t.admin.post(`/api/v1/bots/${botId}/segments`, { name: 'All' })).body.id;
    await seedAudience(t.db, botId, segmentId, psids);
    worker.start();
    await worker.waitForLog('Queue workers started', 120_000);
  }, 180_000);

  afterAll(async () => {
    await worker?.kill();
    await t?.close();
    await graph.stop();
  });

  it('sends to everyone exactly once across the kill', async () => {
    // Slow answers keep sends in flight when the worker dies.
    graph.setLatency(400);
    const created = await t.admin.post(`/api/v1/bots/${botId}/broadcasts`, {
      name: 'Across a crash',
      audience: { include: [segmentId] },
      content: { messages: [{ type: 'text', text: 'Hello {{contact.firstName|you}}' }] },
    });
    expect(created.status).toBe(201);
    await waitFor(() => graph.sends.length >= 40, { timeoutMs: 60_000, what: 'sends under way' });

    await worker.kill('SIGKILL');
    const sentBeforeKill = graph.sends.length;
    graph.setLatency(0);
    const from = worker.lines.length;
    worker.start();
    await worker.waitForLog('Queue workers started', 120_000, from);

    await waitFor(
      async () =>
        (await t.admin.get(`/api/v1/bots/${botId}/broadcasts/${created.body.id}`)).body.status ===
        'completed',
      { timeoutMs: 90_000, what: 'the broadcast to complete' },
    );
    const counts = psids.map((psid) => graph.sendsTo(psid).length);
    expect(counts.filter((count) => count !== 1)).toEqual([]);
    expect(sentBeforeKill).toBeLessThan(AUDIENCE);
    const broadcast = (await t.admin.get(`/api/v1/bots/${botId}/broadcasts/${created.body.id}`))
      .body;
    expect(broadcast.counts).toMatchObject({ total: AUDIENCE, sent: AUDIENCE, pending: 0 });
  }, 240_000);
});
