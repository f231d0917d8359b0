import { withTimeout } from './with-timeout';

describe('withTimeout', () => {
  it('passes a result or an error through', async () => {
    await expect(withTimeout(Promise.resolve(1), 100, 'late')).resolves.toBe(1);
    await expect(withTimeout(Promise.reject(new Error('boom')), 100, 'late')).rejects.toThrow(
      'boom',
    );
  });

  it('rejects with the message when the promise takes too long', async () => {
    await expect(
      withTimeout(new Promise(() => undefined), 20, 'no answer within 20 ms'),
    ).rejects.toThrow('no answer within 20 ms');
  });
});
