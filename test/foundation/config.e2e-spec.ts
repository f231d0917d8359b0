import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
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

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

describe('Starting the app as `npm start` does', () => {
  const databaseName = uniqueName('bp_test_boot');
  afterAll(() => dropDatabase(databaseName));

  it('creates its database, generates and logs an admin token in development, serves, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const env: Record<string, string> = {
      ...testEnv(databaseName),
      NODE_ENV: 'development',
      PORT: String(port),
      HOST: '127.0.0.1',
    };
    delete env.ADMIN_TOKEN;
    const child = spawn(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', 'src/main.ts'],
      {
        cwd: ROOT,
        env: { PATH: process.env.PATH ?? '', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<string>((resolve) =>
      child.on('exit', (code, signal) => resolve(`${code}/${signal}`)),
    );
    try {
      const token = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no admin token logged: ${output}`)),
          60_000,
        );
        const check = (): void => {
          const match = /the admin token of this run is (\S+?)"/.exec(output);
          if (match && output.includes('Listening on')) {
            clearTimeout(timer);
            resolve(match[1]);
          } else setTimeout(check, 100);
        };
        check();
      });
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/docs`)).status).toBe(200);
      expect((await fetch(`${base}/docs-json`)).status).toBe(200);
      const bots = await fetch(`${base}/api/v1/bots`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bots.status).toBe(200);
      for (const line of output.split('\n').filter((l) => l.startsWith('{'))) {
        expect(() => JSON.parse(line) as unknown).not.toThrow();
      }
      child.kill('SIGTERM');
      // Nest re-raises the signal once shutdown is done, as containers expect (exit 143).
      expect(await exited).toBe('null/SIGTERM');
      expect(output).toContain('Shutting down on SIGTERM: HTTP stopped, finishing jobs in flight');
    } finally {
      child.kill('SIGKILL');
    }
  });
});
