import { FLOOD_RATE, IntakeRate } from './intake-rate';

describe('IntakeRate', () => {
  it('counts the deliveries of the last second only', () => {
    const rate = new IntakeRate();
    rate.record(5, 10_000);
    rate.record(3, 10_450);
    expect(rate.perSecond(10_900)).toBe(8);
    expect(rate.perSecond(11_050)).toBe(3);
    expect(rate.perSecond(11_500)).toBe(0);
  });

  it('forgets everything after a long quiet spell', () => {
    const rate = new IntakeRate();
    rate.record(50, 10_000);
    rate.record(1, 60_000);
    expect(rate.perSecond(60_000)).toBe(1);
  });

  it('lets background work wait while flooded, at most half a second', async () => {
    const rate = new IntakeRate();
    const naps: number[] = [];
    const sleep = (ms: number): Promise<void> => {
      naps.push(ms);
      rate.record(FLOOD_RATE / 10);
      return Promise.resolve();
    };
    rate.record(FLOOD_RATE);
    expect(await rate.yieldWhileFlooded(sleep)).toBe(500);
    expect(naps).toEqual([100, 100, 100, 100, 100]);
  });

  it('does not wait below the flood rate', async () => {
    const rate = new IntakeRate();
    rate.record(FLOOD_RATE - 1);
    expect(await rate.yieldWhileFlooded(() => Promise.reject(new Error('slept')))).toBe(0);
  });
});
