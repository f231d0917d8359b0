import { Logger } from '@nestjs/common';
import { type Queue } from 'bull';
import { closeQuietly, QUEUE_CLOSE_WAIT_MS } from './queue-closing';

/** A queue as @nestjs/bull leaves it: its shutdown hook is its close. */
function queueClosing(
  close: () => Promise<void>,
): Queue & { onApplicationShutdown(): Promise<void> } {
  return { name: 'inbound', close, onApplicationShutdown: close } as unknown as Queue & {
    onApplicationShutdown(): Promise<void>;
  };
}

describe('closeQuietly', () => {
  const logger = new Logger('test');
  let warn: jest.SpyInstance;
  beforeEach(() => (warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined)));
  afterEach(() => {
    warn.mockRestore();
    jest.useRealTimers();
  });

  it('lets a close that fails end the hook with a warning naming the queue', async () => {
    const queue = queueClosing(() => Promise.reject(new Error('Connection is closed.')));
    closeQuietly(queue, logger);
    await expect(queue.onApplicationShutdown()).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith('Queue inbound did not close cleanly: Connection is closed.');
  });

  it('keeps a close that ends well silent', async () => {
    const queue = queueClosing(() => Promise.resolve());
    closeQuietly(queue, logger);
    await queue.onApplicationShutdown();
    expect(warn).not.toHaveBeenCalled();
  });

  it('stops waiting for a close that never ends after QUEUE_CLOSE_WAIT_MS', async () => {
    jest.useFakeTimers();
    const queue = queueClosing(() => new Promise<void>(() => undefined));
    closeQuietly(queue, logger);
    let ended = false;
    const hook = queue.onApplicationShutdown().then(() => (ended = true));
    await jest.advanceTimersByTimeAsync(QUEUE_CLOSE_WAIT_MS - 1);
    expect(ended).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    await hook;
    expect(warn).toHaveBeenCalledWith(
      `Queue inbound did not close cleanly: not closed after ${QUEUE_CLOSE_WAIT_MS} ms`,
    );
  });
});
