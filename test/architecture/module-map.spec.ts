import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

// The module map is an ESLint rule (import-x/no-restricted-paths built in eslint.config.mjs). The fixtures
// under fixtures/src/ are a small tree of the same shape, left out of `npm run lint`; this lints them
// with the project's own config, through ESLint's CLI because jest's module sandbox cannot load the
// config's ES module.
const root = join(__dirname, '..', '..');
const fixtures = 'test/architecture/fixtures/src';

interface LintMessage {
  ruleId: string | null;
  message: string;
}
interface LintResult {
  filePath: string;
  messages: LintMessage[];
}

async function lintFixtures(): Promise<Map<string, LintMessage[]>> {
  const eslint = join(root, 'node_modules', '.bin', 'eslint');
  const run = promisify(execFile);
  const output = await run(eslint, ['--no-ignore', '--format', 'json', `${fixtures}/**/*.ts`], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => {
    // ESLint exits 1 when it finds problems; the JSON is still on stdout.
    if (error.stdout) return { stdout: error.stdout };
    throw error;
  });
  const results = JSON.parse(output.stdout) as LintResult[];
  return new Map(
    results.map((r) => [r.filePath.slice(join(root, fixtures).length + 1), r.messages]),
  );
}

describe('module map (lint)', () => {
  let byFile: Map<string, LintMessage[]>;
  beforeAll(async () => {
    byFile = await lintFixtures();
  }, 120_000);

  const mapErrors = (file: string): string[] =>
    (byFile.get(file) ?? [])
      .filter((m) => m.ruleId === 'import-x/no-restricted-paths')
      .map((m) => m.message);

  it('lints every fixture and finds no other problem', () => {
    expect(byFile.size).toBe(15);
    for (const messages of byFile.values()) {
      expect(messages.filter((m) => m.ruleId !== 'import-x/no-restricted-paths')).toEqual([]);
    }
  });

  it('allows a lower module through its index.ts, and auth to import bots', () => {
    expect(mapErrors('conversations/good-imports.ts')).toEqual([]);
    expect(mapErrors('auth/api-key.ts')).toEqual([]);
    expect(mapErrors('creator/index.ts')).toEqual([]);
  });

  it('refuses a file of another module that is not its index.ts', () => {
    expect(mapErrors('conversations/bad-deep-import.ts')).toEqual([
      expect.stringContaining('Import referrals through its index.ts'),
    ]);
  });

  it('refuses an import of a higher module, even through its index.ts', () => {
    expect(mapErrors('conversations/bad-channel-import.ts')).toEqual([
      expect.stringContaining('conversations may import only modules below it'),
    ]);
    expect(mapErrors('creator/bad-upward-import.ts')).toEqual([
      expect.stringContaining('creator may import only modules below it'),
    ]);
  });

  it('refuses bots importing auth (same row, only auth may import bots)', () => {
    expect(mapErrors('bots/bad-peer-import.ts')).toEqual([
      expect.stringContaining('bots may import only modules below it'),
    ]);
  });
});
