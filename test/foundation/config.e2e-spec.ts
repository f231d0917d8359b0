import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { dropDatabase, testEnv, uniqueName } from '../support/test-app';

const ROOT = join(__dirname, '..', '..');

/** Runs `node src/main.ts` (transpiled on the fly) with `env` and collects its output and exit code. */
function runMain(
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`main did not exit within ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('Configuration at boot', () => {
  const databaseName = uniqueName('bp_test_cfg');
  afterAll(() => dropDatabase(databaseName));

  it.each([
    ['PORT', { PORT: 'eighty' }, /^Invalid configuration: PORT must be an integer/],
    [
      'DATABASE_URL',
      { DATABASE_URL: 'mysql://localhost/x' },
      /^Invalid configuration: DATABASE_URL must be a URL starting with postgres:\/\//,
    ],
    [
      'PROCESS_ROLE',
      { PROCESS_ROLE: 'everything' },
      /^Invalid configuration: PROCESS_ROLE must be one of/,
    ],
    [
      'ADMIN_TOKEN in production',
      { NODE_ENV: 'production', ADMIN_TOKEN: '' },
      /ADMIN_TOKEN is required when NODE_ENV=production/,
    ],
  ])('refuses to start on a bad %s with one line naming it', async (_name, override, expected) => {
    const { code, stderr } = await runMain({ ...testEnv(databaseName), ...override });
    expect(code).toBe(1);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(expected);
  });
});
