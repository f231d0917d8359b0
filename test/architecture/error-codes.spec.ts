import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

// Every module's error codes, found from its *.errors.ts (the `…_ERROR_CODES` list beside its
// AppError factories), against the table of docs/ARCHITECTURE.md: a client can look every code
// up, and a code two modules share is one the table names for both.
const root = join(__dirname, '..', '..');

function errorCodesByModule(): Map<string, readonly string[]> {
  const found = new Map<string, readonly string[]>();
  for (const module of readdirSync(join(root, 'src'))) {
    const dir = join(root, 'src', module);
    let files: string[];
    try {
      files = readdirSync(dir).filter((f) => f.endsWith('.errors.ts'));
    } catch {
      continue; // a file, not a module folder
    }
    for (const file of files) {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const exports = require(join(dir, file)) as Record<string, unknown>;
      const lists = Object.entries(exports).filter(([name]) => name.endsWith('_ERROR_CODES'));
      expect([file, lists.length]).toEqual([file, 1]);
      found.set(module, lists[0][1] as readonly string[]);
    }
  }
  return found;
}

/** Rows of the "Error codes" table: code -> the modules it names. */
function documentedCodes(): Map<string, string[]> {
  const text = readFileSync(join(root, 'docs', 'ARCHITECTURE.md'), 'utf8');
  const section = text.split('\n## Error codes')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, string[]>();
  for (const match of section.matchAll(/^\| `([A-Z0-9_]+)` +\|[^|]*\| ([^|]+)\|$/gm)) {
    rows.set(
      match[1],
      match[2].split(',').map((m) => m.trim().replace(/`/g, '')),
    );
  }
  return rows;
}

describe('error codes', () => {
  const byModule = errorCodesByModule();
  const documented = documentedCodes();

  it('finds the codes of every module with an errors file', () => {
    expect([...byModule.keys()].sort()).toEqual([
      'auth',
      'bots',
      'broadcasts',
      'contacts',
      'conversations',
      'messenger',
      'modules',
      'referrals',
      'segments',
      'widget',
    ]);
  });

  it('lists no code twice within a module', () => {
    for (const [module, codes] of byModule)
      expect([module, new Set(codes).size]).toEqual([module, codes.length]);
  });

  it('documents every code, with every module that answers with it, and nothing else', () => {
    const modulesOf = new Map<string, string[]>();
    for (const [module, codes] of byModule)
      for (const code of codes) modulesOf.set(code, [...(modulesOf.get(code) ?? []), module]);
    const sorted = (map: Map<string, string[]>): [string, string[]][] =>
      [...map].map(([code, modules]): [string, string[]] => [code, [...modules].sort()]).sort();
    expect(sorted(documented)).toEqual(sorted(modulesOf));
  });
});
