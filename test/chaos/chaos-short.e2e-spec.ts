import { spawn } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/**
 * The chaos suite's short run (scripts/chaos.ts, CHAOS_SHORT=1): the webhook's process and two
 * workers under a supervisor on a Postgres and a Redis of its own, each fault once in about a
 * minute, with the app run from source and its defaults (the one-hop send on). Every acknowledged
 * delivery is answered or recorded as failed for good, none twice.
 */
describe('Chaos, short run', () => {
  // `api`: every item goes through the inbound queue; `all`: the webhook's process handles its
  // items in hand, and the fault that kills it kills items in hand (the inbox sweeper's to save).
  it.each(['api', 'all'])(
    'loses nothing and sends nothing twice through one of each fault, the webhook in an %s process',
    async (apiRole) => {
      const child = spawn(
        process.execPath,
        ['-r', 'ts-node/register/transpile-only', join(ROOT, 'scripts', 'chaos.ts')],
        {
          cwd: ROOT,
          env: {
            PATH: process.env.PATH ?? '',
            CHAOS_SHORT: '1',
            CHAOS_APP: 'source',
            CHAOS_API_ROLE: apiRole,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
      const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
      const figure = (name: string): number =>
        Number(new RegExp(`${name}:\\s+(\\d+)`).exec(output)?.[1] ?? NaN);
      const summary = output.slice(output.indexOf('chaos: faults injected'));
      expect({ code, lost: figure('lost'), duplicated: figure('duplicated'), summary }).toEqual({
        code: 0,
        lost: 0,
        duplicated: 0,
        summary,
      });
      expect(figure('acknowledged 200')).toBeGreaterThan(1000);
      expect(figure('permanent failures recorded')).toBeGreaterThan(0);
      expect(summary).toContain('Graph API stalled 20 s');
    },
    480_000,
  );
});
