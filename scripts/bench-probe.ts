/**
 * Preloaded, compiled to JavaScript, into the app a bench spawns (`node -r <probe.js>
 * dist/main.js`, with an IPC channel): what happens inside the app over a
 * measured window, the parts of a latency tail the load generator cannot see. On the message
 * `{ probe: 'begin' }` it starts over; on `{ probe: 'end' }` it answers a ProbeReport:
 * - event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution): how long a ready
 *   callback, e.g. an arrived request, waited for the loop;
 * - GC pauses (PerformanceObserver on 'gc' entries), by kind;
 * - the process's own CPU (process.cpuUsage), user and system.
 * Nothing of it is in the app's code: without this preload the app runs as in production.
 */
import { constants, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';

/** What the probe saw over a window; durations in milliseconds. */
export interface ProbeReport {
  seconds: number;
  eventLoopDelay: { p50: number; p99: number; max: number };
  gc: Record<string, { count: number; totalMs: number; maxMs: number }>;
  cpu: { userMs: number; systemMs: number };
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak-callbacks',
};

if (process.send) {
  const delay = monitorEventLoopDelay({ resolution: 1 });
  let gc: ProbeReport['gc'] = {};
  let cpu = process.cpuUsage();
  let startedAt = process.hrtime.bigint();
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const { kind: gcKind } = (entry as unknown as { detail: { kind: number } }).detail;
      const kind = GC_KINDS[gcKind] ?? 'other';
      const seen = (gc[kind] ??= { count: 0, totalMs: 0, maxMs: 0 });
      seen.count += 1;
      seen.totalMs += entry.duration;
      seen.maxMs = Math.max(seen.maxMs, entry.duration);
    }
  }).observe({ entryTypes: ['gc'] });
  const ms = (ns: number): number => Math.round(ns / 1e4) / 100;
  process.on('message', (message: { probe?: string }) => {
    if (message.probe === 'begin') {
      delay.reset();
      delay.enable();
      gc = {};
      cpu = process.cpuUsage();
      startedAt = process.hrtime.bigint();
    } else if (message.probe === 'end') {
      delay.disable();
      const used = process.cpuUsage(cpu);
      const report: ProbeReport = {
        seconds: Number(process.hrtime.bigint() - startedAt) / 1e9,
        eventLoopDelay: {
          p50: ms(delay.percentile(50)),
          p99: ms(delay.percentile(99)),
          max: ms(delay.max),
        },
        gc,
        cpu: { userMs: used.user / 1000, systemMs: used.system / 1000 },
      };
      process.send!({ probeReport: report });
    }
  });
  // The IPC channel must not keep the app alive once it is told to stop.
  process.channel?.unref();
}
