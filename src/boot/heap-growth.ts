import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the old generation grow past what the last full GC left alive, in percent.
 * V8's own factor goes up to 4x on a fast machine, and under a burst most of what fills the old
 * generation is garbage promoted while it waited on I/O (a heap snapshot at the webhook bench's
 * peak: 53 MB alive of 156 MB used), so the process reached 310-360 MB resident with ~50 MB of
 * live data. At 2x it peaks near 225 MB (bench:webhook, 150/s, 300/s and 5 s flat out); 1.5x gave
 * ~190 MB but cost more app CPU per delivery in full GCs (single runs on a shared machine: about
 * +0.5 ms at 150/s, against about +0.2-0.4 ms at 2x).
 */
export const HEAP_GROWING_PERCENT = 100;

/**
 * Sets the heap growth factor for this process (the one V8 flag the app sets itself, so every way
 * of starting it, `node dist/main.js`, `nest start`, the benches, gets it). V8 reads the factor
 * at each full GC, so setting it at boot takes effect from the first one.
 */
export function limitHeapGrowth(): void {
  setFlagsFromString(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
}
