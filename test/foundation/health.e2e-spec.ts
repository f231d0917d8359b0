import { startTestApp, type TestApp } from '../support/test-app';
import { TcpProxy } from '../support/tcp-proxy';
import { waitFor } from '../support/wait-for';

describe('GET /health', () => {
  const redisProxy = new TcpProxy('127.0.0.1', 6379);
  let t: TestApp;

  beforeAll(async () => {
    const port = await redisProxy.start();
    t = await startTestApp({ REDIS_URL: `redis://127.0.0.1:${port}` });
  });
  afterAll(async () => {
    await redisProxy.restore();
    await t.close();
    await redisProxy.cut();
  });

  it('is 200 with Postgres and Redis up', async () => {
    const response = await t.http.get('/health');
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, redis: { status: 'up' } },
    });
  });

  it('turns 503 UNHEALTHY while Redis is away, keeps serving, and recovers', async () => {
    await redisProxy.cut();
    const down = await waitFor(
      async () => {
        const response = await t.http.get('/health');
        return response.status === 503 ? response : undefined;
      },
      { what: '/health to report 503' },
    );
    expect(down.body).toMatchObject({
      statusCode: 503,
      code: 'UNHEALTHY',
      details: {
        status: 'error',
        error: { redis: { status: 'down' } },
        info: { database: { status: 'up' } },
      },
    });
    // The process is alive and still serves what does not need Redis.
    expect((await t.admin.post('/api/v1/bots', { name: 'during outage' })).status).toBe(201);

    await redisProxy.restore();
    await waitFor(async () => (await t.http.get('/health')).status === 200, {
      what: '/health to recover',
      timeoutMs: 15_000,
    });
  });
});
