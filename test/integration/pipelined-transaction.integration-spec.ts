import fc from 'fast-check';
import { Client } from 'pg';
import { type EntityManager, QueryFailedError, type QueryRunner } from 'typeorm';
import { pipelinedTransaction, prepared, preparedCarried } from '../../src/database';
import { startServices, type ServiceContext } from './support/service-context';

/**
 * A pipelined transaction (src/database/pipelined-transaction.ts) sends BEGIN with its first
 * prepared statement and COMMIT with the one that ends it, on a pool that has one connection to
 * hand out (as a busy worker's pool hands the same connection on), and ends as a plain transaction
 * would when any part fails.
 */
describe('A pipelined transaction (integration)', () => {
  let s: ServiceContext;
  let session: Client;
  let holder: QueryRunner;
  /** The texts the pool's one connection was sent, one per round trip. */
  let sent: string[] = [];

  const insert = (tx: EntityManager, id: number, note: string, ends = false): Promise<unknown> =>
    prepared(
      tx,
      'pipeline_probe_insert',
      'INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)',
      [id, note],
      { endsTransaction: ends },
    );
  const rename = (tx: EntityManager, id: number, note: string, ends = false): Promise<unknown> =>
    prepared(
      tx,
      'pipeline_probe_rename',
      'UPDATE pipeline_probe SET note = $2 WHERE id = $1 RETURNING id',
      [id, note],
      { endsTransaction: ends },
    );
  /** `insert`, carried by the transaction's next statement; resolves to its result's promise. */
  const carriedInsert = (tx: EntityManager, id: number, note: string) =>
    preparedCarried(
      tx,
      'pipeline_probe_insert',
      'INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)',
      [id, note],
    );
  /** Connections of this database idle inside a transaction (a pool's, between transactions). */
  const idleInTransaction = async (): Promise<number> =>
    (
      await session.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND state LIKE 'idle in transaction%'`,
      )
    ).rows[0].n;
  /** The rows committed, read on a connection of its own. */
  const committed = async (): Promise<{ id: number; note: string }[]> =>
    (await session.query('SELECT id, note FROM pipeline_probe ORDER BY id')).rows;

  beforeAll(async () => {
    s = await startServices([], { DB_POOL_SIZE: '2' });
    // Holds one of the pool's two connections: every transaction gets the other.
    holder = s.dataSource.createQueryRunner();
    await holder.connect();
    await s.dataSource.query(
      `CREATE TABLE pipeline_probe (id int PRIMARY KEY, note text,
         CONSTRAINT uq_pipeline_probe_note UNIQUE (note) DEFERRABLE INITIALLY DEFERRED)`,
    );
    const runner = s.dataSource.createQueryRunner();
    const client = (await runner.connect()) as Client;
    await runner.release();
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (...args: unknown[]) => {
      const [config] = args as [string | { text: string }];
      sent.push(typeof config === 'string' ? config : config.text);
      return query(...args);
    };
    session = new Client({ connectionString: s.config.databaseUrl });
    await session.connect();
    // The statements prepared on the pool's connection, as any statement of a busy worker is.
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 0, 'warm');
      await rename(tx, 0, 'warm', true);
    });
    await s.dataSource.query('TRUNCATE pipeline_probe');
  });
  beforeEach(() => {
    sent = [];
  });
  afterEach(() => s.dataSource.query('TRUNCATE pipeline_probe'));
  afterAll(async () => {
    await session?.end();
    await holder?.release();
    await s?.close();
  });

  it('costs one round trip per statement once they are prepared, and commits', async () => {
    const result = await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 1, 'one');
      return rename(tx, 1, 'uno', true);
    });

    expect(result).toEqual([[{ id: 1 }], 1]);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toMatch(/^BEGIN; EXECUTE "pipeline_probe_insert"\(/);
    expect(sent[1]).toMatch(/^EXECUTE "pipeline_probe_rename"\(.*\); COMMIT$/);
    expect(await committed()).toEqual([{ id: 1, note: 'uno' }]);
  });

  it('sends BEGIN and COMMIT on their own around a statement not yet prepared', async () => {
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await prepared(tx, 'pipeline_probe_fresh', 'INSERT INTO pipeline_probe VALUES ($1, $2)', [
        2,
        'fresh',
      ]);
    });

    expect(sent).toEqual([
      'START TRANSACTION',
      'INSERT INTO pipeline_probe VALUES ($1, $2)',
      'COMMIT',
    ]);
    expect(await committed()).toEqual([{ id: 2, note: 'fresh' }]);
  });

  it('keeps nothing when the statement that ends it fails, and leaves the connection usable', async () => {
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 3, 'three');
      await insert(tx, 3, 'again', true);
    });

    await expect(failing).rejects.toBeInstanceOf(QueryFailedError);
    expect(sent.at(-1)).toBe('ROLLBACK');
    expect(await committed()).toEqual([]);
    await pipelinedTransaction(s.dataSource, (tx) => insert(tx, 4, 'after', true));
    expect(await committed()).toEqual([{ id: 4, note: 'after' }]);
  });

  it('keeps nothing when its COMMIT fails (a deferred constraint)', async () => {
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 5, 'same');
      await insert(tx, 6, 'same', true);
    });

    await expect(failing).rejects.toThrow(/uq_pipeline_probe_note/);
    expect(await committed()).toEqual([]);
    await pipelinedTransaction(s.dataSource, (tx) => insert(tx, 7, 'after', true));
    expect(await committed()).toEqual([{ id: 7, note: 'after' }]);
  });

  it('refuses a statement after the one that ended it, which then runs nowhere', async () => {
    const late = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 8, 'ended', true);
      await tx.query('INSERT INTO pipeline_probe VALUES (9, $1)', ['late']);
    });

    await expect(late).rejects.toThrow(/has ended/);
    expect(await committed()).toEqual([{ id: 8, note: 'ended' }]);
  });

  it('sends statements issued together in the order issued, all in the transaction', async () => {
    await pipelinedTransaction(s.dataSource, (tx) =>
      Promise.all([
        tx.query('INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)', [12, 'plain']),
        insert(tx, 13, 'ends', true),
      ]),
    );

    expect(sent[0]).toBe('START TRANSACTION');
    expect(sent.at(-1)).toMatch(/; COMMIT$/);
    expect(await committed()).toEqual([
      { id: 12, note: 'plain' },
      { id: 13, note: 'ends' },
    ]);
    expect(await idleInTransaction()).toBe(0);
  });

  it('commits nothing when a statement issued together with the ending one fails', async () => {
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 14, 'first');
      return Promise.all([insert(tx, 14, 'duplicate'), insert(tx, 15, 'ends', true)]);
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    expect(await committed()).toEqual([]);
    expect(await idleInTransaction()).toBe(0);
  });

  it('commits after a savepoint’s release when the ending statement ran inside the savepoint', async () => {
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 16, 'outer');
      await tx.transaction((savepoint) => insert(savepoint, 17, 'in the savepoint', true));
    });

    expect(sent.slice(-2)).toEqual(['RELEASE SAVEPOINT typeorm_1', 'COMMIT']);
    expect(await committed()).toEqual([
      { id: 16, note: 'outer' },
      { id: 17, note: 'in the savepoint' },
    ]);
  });

  it('rolls back when its work throws after the first statement', async () => {
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 10, 'ten');
      throw new Error('work failed');
    });

    await expect(failing).rejects.toThrow('work failed');
    expect(sent).toEqual([expect.stringMatching(/^BEGIN; EXECUTE/), 'ROLLBACK']);
    expect(await committed()).toEqual([]);
  });

  it('takes a savepoint for a nested transaction, and keeps the rest when it rolls back', async () => {
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 11, 'kept');
      await tx
        .transaction(async (nested) => {
          await insert(nested, 12, 'undone');
          throw new Error('nested failed');
        })
        .catch(() => undefined);
      await rename(tx, 11, 'still kept', true);
    });

    expect(sent).toContain('ROLLBACK TO SAVEPOINT typeorm_1');
    expect(await committed()).toEqual([{ id: 11, note: 'still kept' }]);
  });

  it('sends a carried statement in front of the next one, in its message, and gives each its result', async () => {
    let inserted: Promise<unknown> | undefined;
    const result = await pipelinedTransaction(s.dataSource, async (tx) => {
      ({ result: inserted } = await carriedInsert(tx, 20, 'carried'));
      expect(sent).toEqual([]);
      return rename(tx, 20, 'renamed', true);
    });

    expect(sent).toEqual([
      expect.stringMatching(
        /^BEGIN; EXECUTE "pipeline_probe_insert"\('20', 'carried'\); EXECUTE "pipeline_probe_rename"\(.*\); COMMIT$/,
      ),
    ]);
    await expect(inserted).resolves.toEqual([]);
    expect(result).toEqual([[{ id: 20 }], 1]);
    expect(await committed()).toEqual([{ id: 20, note: 'renamed' }]);
  });

  it('sends carried statements with the COMMIT when no statement follows them', async () => {
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 21, 'first');
      await carriedInsert(tx, 22, 'second');
      await carriedInsert(tx, 23, 'third');
    });

    expect(sent).toEqual([
      expect.stringMatching(/^BEGIN; EXECUTE "pipeline_probe_insert"\('21'/),
      expect.stringMatching(/^EXECUTE .*'22'.*; EXECUTE .*'23'.*; COMMIT$/),
    ]);
    expect((await committed()).map((row) => row.id)).toEqual([21, 22, 23]);
  });

  it('runs a carried statement after those issued before it, even ones still waiting their turn', async () => {
    await pipelinedTransaction(s.dataSource, async (tx) => {
      // Issued, not awaited: the carried rename must not overtake them.
      const first = insert(tx, 24, 'first');
      const renamed = preparedCarried(
        tx,
        'pipeline_probe_rename',
        'UPDATE pipeline_probe SET note = $2 WHERE id = $1 RETURNING id',
        [24, 'renamed after it'],
      );
      await first;
      await expect((await renamed).result).resolves.toEqual([[{ id: 24 }], 1]);
    });

    expect(await committed()).toEqual([{ id: 24, note: 'renamed after it' }]);
  });

  it('fails the transaction, keeping nothing, when a carried statement fails', async () => {
    let inserted: Promise<unknown> | undefined;
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 25, 'first');
      ({ result: inserted } = await carriedInsert(tx, 25, 'duplicate'));
      await rename(tx, 25, 'never', true);
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    await expect(inserted).rejects.toThrow(/duplicate key/);
    expect(await committed()).toEqual([]);
    expect(await idleInTransaction()).toBe(0);
  });

  it('fails every later statement with the error of a carried statement that went alone', async () => {
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 33, 'first');
      const { result } = await carriedInsert(tx, 33, 'duplicate');
      // Awaited with nothing to carry it: it goes alone on the event loop's next turn.
      await expect(result).rejects.toThrow(/duplicate key/);
      // One carried after it fails with it too, rather than waiting for ever.
      await expect((await carriedInsert(tx, 34, 'after')).result).rejects.toThrow(/duplicate key/);
      await rename(tx, 33, 'never', true);
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    expect(sent).toEqual([
      expect.stringMatching(/^BEGIN; EXECUTE .*'33', 'first'/),
      expect.stringMatching(/^EXECUTE .*'33', 'duplicate'\)$/),
      'ROLLBACK',
    ]);
    expect(await committed()).toEqual([]);
  });

  it('fails the COMMIT that carries a failing statement, keeping nothing', async () => {
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 26, 'first');
      await carriedInsert(tx, 26, 'duplicate');
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    expect(sent.at(-1)).toBe('ROLLBACK');
    expect(await committed()).toEqual([]);
  });

  it('never sends the carried statements of work that throws', async () => {
    let inserted: Promise<unknown> | undefined;
    const failing = pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 27, 'first');
      ({ result: inserted } = await carriedInsert(tx, 28, 'dropped'));
      throw new Error('work failed');
    });

    await expect(failing).rejects.toThrow('work failed');
    await expect(inserted).rejects.toThrow(/rolled back before/);
    expect(sent).toEqual([expect.stringMatching(/^BEGIN; EXECUTE .*'27'/), 'ROLLBACK']);
    expect(await committed()).toEqual([]);
  });

  it('refuses a carried statement issued by work that went on after the transaction ended', async () => {
    let late: Promise<unknown> | undefined;
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 35, 'in time');
      // Not awaited: it comes once the transaction is ending, its connection going back to the pool.
      late = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        carriedInsert(tx, 36, 'late'),
      );
    });

    await expect(late).rejects.toThrow(/has ended/);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await committed()).toEqual([{ id: 35, note: 'in time' }]);
    expect(sent.filter((sql) => sql.includes("'36'"))).toEqual([]);
  });

  it('sends a carried statement in its turn inside a savepoint, or before it is prepared', async () => {
    await pipelinedTransaction(s.dataSource, async (tx) => {
      await insert(tx, 29, 'outer');
      await tx.transaction(async (savepoint) => {
        const { result } = await carriedInsert(savepoint, 30, 'in the savepoint');
        await expect(result).resolves.toEqual([]);
      });
      const fresh = await preparedCarried(
        tx,
        'pipeline_probe_fresh_carried',
        'INSERT INTO pipeline_probe VALUES ($1, $2)',
        [31, 'fresh'],
      );
      await expect(fresh.result).resolves.toEqual([]);
    });

    expect(sent).toContain('INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)');
    expect(sent).toContain('INSERT INTO pipeline_probe VALUES ($1, $2)');
    expect((await committed()).map((row) => row.id)).toEqual([29, 30, 31]);
  });

  it('runs a carried statement at once in a transaction that is not pipelined', async () => {
    await s.dataSource.transaction(async (tx) => {
      const { result } = await carriedInsert(tx, 32, 'plain');
      const [row] = await tx.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM pipeline_probe WHERE id = 32',
      );
      expect(row.n).toBe(1);
      await expect(result).resolves.toEqual([]);
    });

    expect(await committed()).toEqual([{ id: 32, note: 'plain' }]);
  });

  it('hands a statement the same values as parameters would (strings, arrays, dates, JSON)', async () => {
    const text = fc.string({ unit: 'binary' }).filter((v) => !v.includes('\0'));
    const echo = (tx: EntityManager, values: unknown[], ends: boolean): Promise<unknown> =>
      prepared(
        tx,
        'pipeline_probe_echo',
        `SELECT $1::text AS a, $2::text[] AS b, $3::timestamptz AS c, $4::bigint AS d,
                $5::boolean AS e, $6::jsonb AS f, $7::varchar[] AS g`,
        values,
        { endsTransaction: ends },
      );
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          fc.option(text),
          fc.array(fc.option(text), { maxLength: 4 }),
          fc.date({
            min: new Date('1970-01-01'),
            max: new Date('2200-01-01'),
            noInvalidDate: true,
          }),
          fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
          fc.boolean(),
          fc
            .jsonValue()
            .map((v) => JSON.stringify(v))
            .filter((v) => !v.includes('\\u0000')),
          fc.array(text, { maxLength: 3 }),
        ),
        async (values) => {
          const expected = await s.dataSource.query(
            `SELECT $1::text AS a, $2::text[] AS b, $3::timestamptz AS c, $4::bigint AS d,
                    $5::boolean AS e, $6::jsonb AS f, $7::varchar[] AS g`,
            values,
          );
          sent = [];
          const folded = await pipelinedTransaction(s.dataSource, (tx) => echo(tx, values, true));
          expect(folded).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
    expect(sent[0]).toMatch(/^BEGIN; EXECUTE "pipeline_probe_echo"/);
  });
});
