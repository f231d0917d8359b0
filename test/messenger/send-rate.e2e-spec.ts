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

  /**
   * Groups grants by the Redis window that counted them. Each grant carries the end of its window
   * as seen by its process (never later than the real end), so grants of one window lie close
   * together and windows a second apart. Timing the sends themselves would not do: a process that
   * stalls spends the end of one window next to the start of the next.
   */
  const windows = (untils: number[]): number[] => {
    const sorted = [...untils].sort((a, b) => a - b);
    const sizes = [1];
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] - sorted[i - 1] > 500) sizes.push(1);
      else sizes[sizes.length - 1]++;
    }
    return sizes;
  };

  it('never lets the workers together send more than the budget in one window', async () => {
    const prefix = uniqueName('rate');
    const workers = [limiter(prefix, 100), limiter(prefix, 100)];
    const untils = await Promise.all(
      Array.from({ length: 250 }, (_, i) => workers[i % 2].acquire('page-1')),
    );
    const sizes = windows(untils);
    // 250 sends at 100 per second need three windows, none over budget, and the budget is used.
    expect(sizes.length).toBeGreaterThanOrEqual(3);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(100);
    expect(Math.max(...sizes)).toBeGreaterThanOrEqual(90);
  });

  it('keeps the budget of each page apart', async () => {
    const prefix = uniqueName('rate');
    const worker = limiter(prefix, 20);
    const pages = ['page-a', 'page-b'];
    const untils = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        worker.acquire(pages[i % 2]).then((until) => ({ page: pages[i % 2], until })),
      ),
    );
    // 20 sends per page fit one window each: nobody waited for a second one.
    for (const page of pages) {
      expect(
        windows(untils.filter((grant) => grant.page === page).map((grant) => grant.until)),
      ).toEqual([20]);
    }
  });

  it('does not spend slots of a window that ended while the process stalled', async () => {
    const prefix = uniqueName('rate');
    const worker = limiter(prefix, 100);
    await worker.acquire('warm-up'); // connected, script loaded: the next request leaves at once
    const granted = worker.acquire('page-1');
    // The process stalls past the end of the window Redis opened for the request above.
    const stalledUntil = Date.now() + 1_100;
    while (Date.now() < stalledUntil);
    await granted;
    // The send is counted in the window it goes out in, so that window's key is there.
    expect(Number(await redis[0].get(`${prefix}:send-rate:page-1`))).toBeGreaterThan(0);
  });
});
