import { type GraphApiClient } from '../graph/graph-api.client';
import { type PageDirectory } from '../page-directory';
import { ProfilePrefetch } from './profile-prefetch';

describe('ProfilePrefetch', () => {
  const page = { accessToken: 'EAAtoken' };
  const make = (pageOf: () => Promise<unknown>) => {
    const getProfile = jest.fn((_token: string, psid: string) =>
      Promise.resolve({ firstName: `F-${psid}`, lastName: null }),
    );
    const prefetch = new ProfilePrefetch(
      { pageOf } as unknown as PageDirectory,
      { getProfile } as unknown as GraphApiClient,
    );
    return { prefetch, getProfile };
  };

  it('starts one look-up per PSID sender, and hands it to the batch that takes it', async () => {
    const { prefetch, getProfile } = make(() => Promise.resolve(page));
    prefetch.start('bot', 'psid:1');
    prefetch.start('bot', 'psid:1');
    prefetch.start('bot', 'user_ref:abc');
    prefetch.start(null, 'psid:2');
    expect(await prefetch.take('bot', '1')).toEqual({ firstName: 'F-1', lastName: null });
    expect(getProfile.mock.calls).toEqual([['EAAtoken', '1']]);
  });

  it('looks up anew when nothing was started, and starts nothing for a contact seen looked up', async () => {
    const { prefetch, getProfile } = make(() => Promise.resolve(page));
    await prefetch.take('bot', '3');
    prefetch.lookedUp('bot', '4');
    prefetch.start('bot', 'psid:3');
    prefetch.start('bot', 'psid:4');
    expect(getProfile.mock.calls).toEqual([['EAAtoken', '3']]);
  });

  it('starts no more look-ups ahead than fit beside the sends (a burst of new senders)', async () => {
    let inFlight = 0;
    let most = 0;
    const answers: (() => void)[] = [];
    const getProfile = jest.fn(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise<void>((resolve) => answers.push(resolve));
      inFlight -= 1;
      return { firstName: 'F', lastName: null };
    });
    const prefetch = new ProfilePrefetch(
      { pageOf: () => Promise.resolve(page) } as unknown as PageDirectory,
      { getProfile } as unknown as GraphApiClient,
    );
    for (let i = 0; i < 256; i += 1) prefetch.start('bot', `psid:${i}`);
    await new Promise((resolve) => setImmediate(resolve));
    expect(most).toBe(32);
    for (const answer of answers.splice(0)) answer();
    await new Promise((resolve) => setImmediate(resolve));
    // Once they settle, look-ups start ahead again.
    prefetch.start('bot', 'psid:256');
    await new Promise((resolve) => setImmediate(resolve));
    expect(getProfile).toHaveBeenCalledTimes(33);
  });

  it('leaves a failure to the batch that takes the look-up, unhandled nowhere', async () => {
    const { prefetch } = make(() => Promise.reject(new Error('Postgres away')));
    prefetch.start('bot', 'psid:5');
    await new Promise((resolve) => setImmediate(resolve));
    await expect(prefetch.take('bot', '5')).rejects.toThrow('Postgres away');
  });

  describe('answeringFast', () => {
    beforeEach(() => jest.useFakeTimers());
    afterEach(() => jest.useRealTimers());

    /** A prefetch whose look-ups each wait for `answer()`. */
    const held = () => {
      const answers: (() => void)[] = [];
      const getProfile = jest.fn(
        () =>
          new Promise((resolve) => answers.push(() => resolve({ firstName: 'F', lastName: null }))),
      );
      const prefetch = new ProfilePrefetch(
        { pageOf: () => Promise.resolve(page) } as unknown as PageDirectory,
        { getProfile } as unknown as GraphApiClient,
      );
      const answer = async (): Promise<void> => {
        for (const next of answers.splice(0)) next();
        await jest.advanceTimersByTimeAsync(0);
      };
      return { prefetch, answer };
    };

    it('stays true while Meta answers within 500 ms', async () => {
      const { prefetch, answer } = held();
      prefetch.start('bot', 'psid:1');
      await jest.advanceTimersByTimeAsync(499);
      expect(prefetch.answeringFast).toBe(true);
      await answer();
      expect(prefetch.answeringFast).toBe(true);
    });

    it('turns false once a look-up has waited 500 ms, until 30 s after the slow one ended', async () => {
      const { prefetch, answer } = held();
      prefetch.start('bot', 'psid:1');
      await jest.advanceTimersByTimeAsync(500);
      expect(prefetch.answeringFast).toBe(false);
      await jest.advanceTimersByTimeAsync(1500);
      await answer();
      await jest.advanceTimersByTimeAsync(29_999);
      expect(prefetch.answeringFast).toBe(false);
      await jest.advanceTimersByTimeAsync(1);
      expect(prefetch.answeringFast).toBe(true);
    });

    it('counts a look-up the batch started itself, slow without anyone asking meanwhile', async () => {
      const { prefetch, answer } = held();
      const taken = prefetch.take('bot', '2');
      await jest.advanceTimersByTimeAsync(600);
      await answer();
      await taken;
      expect(prefetch.answeringFast).toBe(false);
    });
  });
});
