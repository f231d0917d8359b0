import Redis from 'ioredis';
import { loadConfig } from '../../src/config';
import { SendRateLimiter } from '../../src/messenger/graph/send-rate-limiter';
import { REDIS_URL, uniqueName } from '../support/test-app';

/** Two limiters on one Redis stand for two worker processes sharing a page's budget. */
describe('The per-page send budget shared by all workers', () => {
  const redis: Redis[] = [];

  const limiter = (prefix: string, perSecond: number): SendRateLimiter => {
    const client = new Redis(REDIS_URL);
    redis.push(client);
    const config = loadConfig({
      QUEUE_PREFIX: prefix,
      MESSENGER_SEND_RATE_PER_SECOND: String(perSecond),
    });
    return new SendRateLimiter(client, config);
  };

  afterAll(async () => {
    await Promise.all(redis.map((client) => client.quit()));
  });

  it('never lets the workers together send more than the budget in one window', async () => {
    const prefix = uniqueName('rate');
    const workers = [limiter(prefix, 100), limiter(prefix, 100)];
    const times: number[] = [];
    await Promise.all(
      Array.from({ length: 250 }, (_, i) =>
        workers[i % 2].acquire('page-1').then(() => times.push(Date.now())),
      ),
    );
    times.sort((a, b) => a - b);
    // Redis counts fixed one-second windows, the first opening with the first send.
    const firstWindow = times.filter((at) => at < times[0] + 1000);
    expect(firstWindow.length).toBeLessThanOrEqual(100);
    expect(firstWindow.length).toBeGreaterThanOrEqual(90);
    // 250 sends at 100 per second need three windows: at least two seconds.
    expect(times[249] - times[0]).toBeGreaterThanOrEqual(1900);
  });

  it('keeps the budget of each page apart', async () => {
    const prefix = uniqueName('rate');
    const worker = limiter(prefix, 20);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => worker.acquire(i % 2 === 0 ? 'page-a' : 'page-b')),
    );
    // 20 sends per page fit one window each: nobody waited for a second one.
    expect(Date.now() - started).toBeLessThan(900);
  });
});
