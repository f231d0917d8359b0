import { Injectable } from '@nestjs/common';

const BUCKET_MS = 100;
const BUCKETS = 10;

/** Webhook deliveries per second at which this process's intake is flooded and comes first. */
export const FLOOD_RATE = 600;
const FLOOD_PAUSE_MS = 100;
/** The longest a batch of background work yields: it slows under a flood, never stops. */
const FLOOD_MAX_WAIT_MS = 500;

/** Webhook deliveries this process took in over the last second, counted in 100 ms buckets. */
@Injectable()
export class IntakeRate {
  private readonly buckets = new Array<number>(BUCKETS).fill(0);
  private tick = 0;

  record(deliveries = 1, now = Date.now()): void {
    this.advance(now);
    this.buckets[this.tick % BUCKETS] += deliveries;
  }

  perSecond(now = Date.now()): number {
    this.advance(now);
    return this.buckets.reduce((sum, count) => sum + count, 0);
  }

  /** Whether the intake is flooded now: background work yields to it (`yieldWhileFlooded`). */
  get flooded(): boolean {
    return this.perSecond() >= FLOOD_RATE;
  }

  /**
   * Waits while the intake is flooded (at most half a second): webhook answers share this event
   * loop with background work, and Meta's deliveries must be acknowledged first. Returns the time
   * waited.
   */
  async yieldWhileFlooded(
    sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ): Promise<number> {
    let waited = 0;
    while (waited < FLOOD_MAX_WAIT_MS && this.flooded) {
      await sleep(FLOOD_PAUSE_MS);
      waited += FLOOD_PAUSE_MS;
    }
    return waited;
  }

  private advance(now: number): void {
    const tick = Math.floor(now / BUCKET_MS);
    const passed = Math.min(tick - this.tick, BUCKETS);
    for (let i = 1; i <= passed; i++) this.buckets[(this.tick + i) % BUCKETS] = 0;
    if (tick > this.tick) this.tick = tick;
  }
}
