import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/**
 * SQL lives in repositories (`*.repository.ts`), and a module's SQL names only its own tables
 * (docs/ARCHITECTURE.md, "SQL in repositories"). Read from the source text: a statement is run by
 * `.query(`, `createQueryBuilder(` or the named-statement helpers `prepared(` and
 * `preparedCarried(`. Migrations are SQL by nature and left out.
 */
const SRC = join(__dirname, '../../src');

/** A call that runs SQL, in any of the forms the code uses (a generic type argument included). */
const SQL_CALL = /\.query\s*[<(]|\bcreateQueryBuilder\s*\(|\bprepared(Carried)?\s*[<(]/;

/**
 * Files outside `*.repository.ts` that may run SQL, each with why: only infrastructure that acts
 * on the database itself, owning no module's table.
 */
const SQL_OUTSIDE_REPOSITORIES: Record<string, string> = {
  'database/prepared.ts':
    'the named-statement helper every repository runs its hot statements with',
  'database/pipelined-transaction.ts':
    'BEGIN and COMMIT travelling with the named statements of a pipelined transaction',
  'database/ensure-database.ts': 'creates the database itself, before any module or table exists',
  'database/run-migrations.ts': "the migration runner's advisory lock",
  'database/statistics.task.ts': 'ANALYZE of whichever tables fell behind: owns no table',
};

/**
 * SQL that names another module's table, each with why. The two guards check, in the statement
 * that writes, what a foreign key or a tenant check needs; asking the owner first would add a round
 * trip on a hot path and a window in which the row can go. The two sends read the contact's fields
 * with the rows they load, for the same reason: one statement per batch on the send path.
 */
const CROSS_MODULE_TABLES: Record<string, string[]> = {
  // Clicks of a bot deleted meanwhile are dropped instead of failing the batch on the foreign key.
  'referrals/tracked-links/clicks.repository.ts': ['bots'],
  // A member counts only when its contact is the bot's (tenant guard, with every referral entry).
  'segments/segments.repository.ts': ['contacts'],
  // The recipient's channel id, read with the reply it is sent (every send loads its reply).
  'conversations/outbound.repository.ts': ['contacts'],
  // The recipient's names, read with its conversation (each broadcast message renders them).
  'conversations/bulk-send.repository.ts': ['contacts'],
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

const files = sourceFiles(SRC).map((path) => ({
  file: relative(SRC, path),
  text: readFileSync(path, 'utf8'),
}));
const runsSql = (text: string): boolean => SQL_CALL.test(text);
const withSql = files.filter(({ text }) => runsSql(text));

/** Each table's module, from the `@Entity('table')` declarations of `src/<module>/entities/`. */
function tableOwners(): Map<string, string> {
  const owners = new Map<string, string>();
  for (const { file, text } of files) {
    if (!file.includes('/entities/')) continue;
    for (const match of text.matchAll(/@Entity\('([a-z_]+)'/g))
      owners.set(match[1], file.split('/')[0]);
  }
  return owners;
}

/** Tables of other modules that `text` names after FROM, JOIN, INTO, UPDATE or TABLE. */
function foreignTables(file: string, text: string, owners: Map<string, string>): string[] {
  const module = file.split('/')[0];
  const found = new Set<string>();
  for (const match of text.matchAll(/\b(?:FROM|JOIN|INTO|UPDATE|TABLE)\s+"?([a-z_]+)/gi)) {
    const owner = owners.get(match[1]);
    if (owner && owner !== module) found.add(match[1]);
  }
  return [...found].sort();
}

describe('SQL in repositories', () => {
  it('sees every form of running SQL, and nothing else', () => {
    for (const sql of [
      "await tx.query('SELECT 1')",
      'manager.query<{ id: string }[]>(`SELECT id FROM x`)',
      "this.dataSource.manager.createQueryBuilder(Referral, 'r')",
      "await prepared<{ id: string }[]>(tx, 'name', 'SELECT 1', [])",
    ])
      expect(runsSql(sql)).toBe(true);
    for (const text of ['const query = request.query as object', 'this.query.get(botId, id)'])
      expect(runsSql(text)).toBe(false);
  });

  it('runs SQL only in *.repository.ts, or in a file of the short list with its reason', () => {
    const outside = withSql
      .map(({ file }) => file)
      .filter((file) => !file.endsWith('.repository.ts') && !(file in SQL_OUTSIDE_REPOSITORIES));
    expect(outside).toEqual([]);
  });

  it('lists no file that no longer runs SQL (the list only shrinks)', () => {
    const stale = Object.keys(SQL_OUTSIDE_REPOSITORIES).filter(
      (file) => !withSql.some((found) => found.file === file),
    );
    expect(stale).toEqual([]);
  });

  it("names no other module's table, but for the listed guards", () => {
    const owners = tableOwners();
    expect(owners.get('contacts')).toBe('contacts');
    expect(owners.get('referral_entries')).toBe('referrals');
    const crossing = Object.fromEntries(
      withSql
        .map(({ file, text }) => [file, foreignTables(file, text, owners)] as const)
        .filter(([, tables]) => tables.length > 0),
    );
    expect(crossing).toEqual(CROSS_MODULE_TABLES);
  });
});
