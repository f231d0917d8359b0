import { Logger } from '@nestjs/common';
import Redis from 'ioredis';
import { loadConfig } from '../config';
import { MAX_UNSENT_PUBLISHES, WidgetStreams } from './widget-streams';

describe('WidgetStreams.publish while Redis is away', () => {
  it('keeps at most MAX_UNSENT_PUBLISHES waiting, so a long outage cannot grow memory, and says how many it dropped', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    // Port 1 refuses connections: a real client whose publishes wait in its offline queue.
    const redis = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      retryStrategy: () => 60_000,
    });
    const streams = new WidgetStreams(
      redis,
      loadConfig({ PROCESS_ROLE: 'worker', QUEUE_PREFIX: 'wspec' }),
    );
    streams.onModuleInit();
    const message = { id: '1', message: { text: 'hi' }, sentAt: new Date(0).toISOString() };
    for (let i = 0; i < MAX_UNSENT_PUBLISHES + 50; i++)
      streams.publish('bot', `visitor-${i}`, { message, prevId: '0' });
    expect(streams.unsentPublishes).toBe(MAX_UNSENT_PUBLISHES);

    // Disconnecting fails what waits in the offline queue; then the drop count is reported.
    (streams as unknown as { publisher: Redis }).publisher.disconnect();
    redis.disconnect();
    for (let i = 0; i < 100 && streams.unsentPublishes > 0; i++)
      await new Promise((resolve) => setImmediate(resolve));
    expect(streams.unsentPublishes).toBe(0);
    expect(warn).toHaveBeenCalledWith(
      '50 widget publish(es) dropped while Redis was away; streams re-read them from Postgres',
    );
    warn.mockRestore();
  });
});
