import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '../support/free-port';
import { deleteRedisPrefix } from '../support/redis-prefix';
import { TcpProxy } from '../support/tcp-proxy';
import { dropDatabase, PG_URL, REDIS_URL, testEnv, uniqueName } from '../support/test-app';

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

/** `node src/main.ts` running with `env`, its stdout and stderr kept apart. */
function startMain(env: Record<string, string>): {
  output: { stdout: string; stderr: string };
  exited: Promise<string>;
  waitFor: (pattern: RegExp, stream?: 'stdout' | 'stderr') => Promise<RegExpExecArray>;
  kill: (signal: NodeJS.Signals) => void;
} {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', 'src/main.ts'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
  const exited = new Promise<string>((resolve) =>
    child.on('exit', (code, signal) => resolve(`${code}/${signal}`)),
  );
  const waitFor = (
    pattern: RegExp,
    stream: 'stdout' | 'stderr' = 'stdout',
  ): Promise<RegExpExecArray> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${pattern} not logged: ${output.stdout}${output.stderr}`)),
        60_000,
      );
      const check = (): void => {
        const match = pattern.exec(output[stream]);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        } else setTimeout(check, 100);
      };
      check();
    });
  return { output, exited, waitFor, kill: (signal) => child.kill(signal) };
}

/**
 * Waits for `main` to exit and expects it ended by the re-raised SIGTERM (Nest's clean shutdown);
 * otherwise the failure shows the tail of what it wrote (Nest logs a failed hook's error and stack).
 */
async function expectExitOnSigterm(main: ReturnType<typeof startMain>): Promise<void> {
  const exit = await main.exited;
  const clean = exit === 'null/SIGTERM';
  expect({
    exit,
    output: clean ? '' : (main.output.stdout + main.output.stderr).slice(-4000),
  }).toEqual({ exit: 'null/SIGTERM', output: '' });
}

/** Structured logs only: every line the app writes to stdout is one JSON object. */
function expectJsonLines(stdout: string): void {
  const lines = stdout.split('\n').filter((line) => line !== '');
  expect(lines.length).toBeGreaterThan(0);
  for (const line of lines) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    expect({ line, object: typeof parsed === 'object' && parsed !== null }).toEqual({
      line,
      object: true,
    });
  }
}

describe('Starting the app as `npm start` does', () => {
  const databaseName = uniqueName('bp_test_boot');
  const queuePrefixes: string[] = [];
  const bootEnv = (extra: Record<string, string>): Record<string, string> => {
    const env = testEnv(databaseName, extra);
    queuePrefixes.push(env.QUEUE_PREFIX);
    delete env.ADMIN_TOKEN;
    return env;
  };
  afterAll(async () => {
    await dropDatabase(databaseName);
    await Promise.all(queuePrefixes.map((prefix) => deleteRedisPrefix(REDIS_URL, prefix)));
  });

  it('creates its database, generates an admin token in development and shows it on stderr (not in the logs), serves, and exits cleanly on SIGTERM', async () => {
    const port = await freePort();
    const main = startMain(
      bootEnv({ NODE_ENV: 'development', PORT: String(port), HOST: '127.0.0.1' }),
    );
    try {
      await main.waitFor(/the admin token of this run is printed on stderr/);
      const [, token] = await main.waitFor(/Admin token: +(\S+)\n/, 'stderr');
      expect(main.output.stderr).toContain(`API docs:     http://127.0.0.1:${port}/docs`);
      expect(main.output.stdout).not.toContain(token);
      await main.waitFor(/Listening on/);
      const base = `http://127.0.0.1:${port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/docs`)).status).toBe(200);
      expect((await fetch(`${base}/docs-json`)).status).toBe(200);
      const bots = await fetch(`${base}/api/v1/bots`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(bots.status).toBe(200);
      main.kill('SIGTERM');
      // Nest re-raises the signal once shutdown is done, as containers expect (exit 143).
      await expectExitOnSigterm(main);
      expect(main.output.stdout).toContain(
        'Shutting down on SIGTERM: HTTP stopped, finishing jobs in flight',
      );
      expectJsonLines(main.output.stdout);
    } finally {
      main.kill('SIGKILL');
    }
  });

  it('as a worker without ADMIN_TOKEN, never logs an admin token', async () => {
    const main = startMain(bootEnv({ NODE_ENV: 'development', PROCESS_ROLE: 'worker' }));
    try {
      await main.waitFor(/Queue workers started/);
      main.kill('SIGTERM');
      await expectExitOnSigterm(main);
      expect(main.output.stdout + main.output.stderr).not.toMatch(/admin token/i);
      expectJsonLines(main.output.stdout);
    } finally {
      main.kill('SIGKILL');
    }
  });

  it('with PostgreSQL unreachable, says so within seconds (address, no password), retries, and starts once it answers', async () => {
    const proxy = new TcpProxy(new URL(PG_URL).hostname, Number(new URL(PG_URL).port || 5432));
    const pgPort = await freePort();
    const url = new URL(`${PG_URL}/${databaseName}`);
    url.port = String(pgPort);
    url.password = 'hunter2-in-url';
    const main = startMain(
      bootEnv({ NODE_ENV: 'development', PORT: String(await freePort()), DATABASE_URL: url.href }),
    );
    try {
      const started = Date.now();
      const [line] = await main.waitFor(/PostgreSQL is unreachable at .*\n/, 'stderr');
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(line).toContain(`127.0.0.1:${pgPort}`);
      expect(line).toContain('DATABASE_URL=postgres://[credentials hidden]@');
      expect(main.output.stderr).toContain('`docker compose up -d postgres redis`');
      await main.waitFor(
        /Still waiting for PostgreSQL at 127\.0\.0\.1:\d+ .*after \d+ s/,
        'stderr',
      );
      expect(main.output.stdout + main.output.stderr).not.toContain('hunter2-in-url');
      await proxy.start(pgPort);
      await main.waitFor(/PostgreSQL and Redis are reachable; starting/, 'stderr');
      await main.waitFor(/Listening on/);
    } finally {
      main.kill('SIGKILL');
      await main.exited;
      await proxy.cut();
    }
  });

  it('with Redis unreachable, names it and its address, and keeps retrying', async () => {
    const redisPort = await freePort();
    const main = startMain(
      bootEnv({ PROCESS_ROLE: 'worker', REDIS_URL: `redis://:redis-pass@127.0.0.1:${redisPort}` }),
    );
    try {
      const [line] = await main.waitFor(/Redis is unreachable at .*\n/, 'stderr');
      expect(line).toContain(`127.0.0.1:${redisPort} (REDIS_URL=redis://[credentials hidden]@`);
      await main.waitFor(/Still waiting for Redis/, 'stderr');
      expect(main.output.stderr).not.toContain('redis-pass');
      expect(main.output.stderr).not.toMatch(/PostgreSQL is unreachable/);
    } finally {
      main.kill('SIGKILL');
      await main.exited;
    }
  });
});
