import { pipelinedTransaction, preparedCarried } from '../../src/database';
import { usePipelineProbe } from './support/pipeline-probe';

/**
 * Carried statements of a pipelined transaction (`preparedCarried`): held, each travels in front of
 * the transaction's next statement or its COMMIT, in that statement's message, in the order issued;
 * its failure fails the transaction; elsewhere it runs at once.
 */
describe('Carried statements of a pipelined transaction (integration)', () => {
  const p = usePipelineProbe();
  const { insert, rename, carriedInsert, committed, idleInTransaction } = p;

  it('sends a carried statement in front of the next one, in its message, and gives each its result', async () => {
    let inserted: Promise<unknown> | undefined;
    const result = await pipelinedTransaction(p.s.dataSource, async (tx) => {
      ({ result: inserted } = await carriedInsert(tx, 20, 'carried'));
      expect(p.sent()).toEqual([]);
      return rename(tx, 20, 'renamed', true);
    });

    expect(p.sent()).toEqual([
      expect.stringMatching(
        /^BEGIN; EXECUTE "pipeline_probe_insert"\('20', 'carried'\); EXECUTE "pipeline_probe_rename"\(.*\); COMMIT$/,
      ),
    ]);
    await expect(inserted).resolves.toEqual([]);
    expect(result).toEqual([[{ id: 20 }], 1]);
    expect(await committed()).toEqual([{ id: 20, note: 'renamed' }]);
  });

  it('sends carried statements with the COMMIT when no statement follows them', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 21, 'first');
      await carriedInsert(tx, 22, 'second');
      await carriedInsert(tx, 23, 'third');
    });

    expect(p.sent()).toEqual([
      expect.stringMatching(/^BEGIN; EXECUTE "pipeline_probe_insert"\('21'/),
      expect.stringMatching(/^EXECUTE .*'22'.*; EXECUTE .*'23'.*; COMMIT$/),
    ]);
    expect((await committed()).map((row) => row.id)).toEqual([21, 22, 23]);
  });

  it('runs a carried statement after those issued before it, even ones still waiting their turn', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
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
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
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
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 33, 'first');
      const { result } = await carriedInsert(tx, 33, 'duplicate');
      // Awaited with nothing to carry it: it goes alone on the event loop's next turn.
      await expect(result).rejects.toThrow(/duplicate key/);
      // One carried after it fails with it too, rather than waiting for ever.
      await expect((await carriedInsert(tx, 34, 'after')).result).rejects.toThrow(/duplicate key/);
      await rename(tx, 33, 'never', true);
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    expect(p.sent()).toEqual([
      expect.stringMatching(/^BEGIN; EXECUTE .*'33', 'first'/),
      expect.stringMatching(/^EXECUTE .*'33', 'duplicate'\)$/),
      'ROLLBACK',
    ]);
    expect(await committed()).toEqual([]);
  });

  it('fails the COMMIT that carries a failing statement, keeping nothing', async () => {
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 26, 'first');
      await carriedInsert(tx, 26, 'duplicate');
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    expect(p.sent().at(-1)).toBe('ROLLBACK');
    expect(await committed()).toEqual([]);
  });

  it('never sends the carried statements of work that throws', async () => {
    let inserted: Promise<unknown> | undefined;
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 27, 'first');
      ({ result: inserted } = await carriedInsert(tx, 28, 'dropped'));
      throw new Error('work failed');
    });

    await expect(failing).rejects.toThrow('work failed');
    await expect(inserted).rejects.toThrow(/rolled back before/);
    expect(p.sent()).toEqual([expect.stringMatching(/^BEGIN; EXECUTE .*'27'/), 'ROLLBACK']);
    expect(await committed()).toEqual([]);
  });

  it('refuses a carried statement issued by work that went on after the transaction ended', async () => {
    let late: Promise<unknown> | undefined;
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 35, 'in time');
      // Not awaited: it comes once the transaction is ending, its connection going back to the pool.
      late = new Promise<void>((resolve) => setImmediate(resolve)).then(() =>
        carriedInsert(tx, 36, 'late'),
      );
    });

    await expect(late).rejects.toThrow(/has ended/);
    await new Promise<void>((resolve) => setImmediate(resolve));
    expect(await committed()).toEqual([{ id: 35, note: 'in time' }]);
    expect(p.sent().filter((sql) => sql.includes("'36'"))).toEqual([]);
  });

  it('sends a carried statement in its turn inside a savepoint, or before it is prepared', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
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

    expect(p.sent()).toContain('INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)');
    expect(p.sent()).toContain('INSERT INTO pipeline_probe VALUES ($1, $2)');
    expect((await committed()).map((row) => row.id)).toEqual([29, 30, 31]);
  });

  it('sends BEGIN with the carried statements in front of a statement not yet prepared', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await carriedInsert(tx, 37, 'carried');
      await tx.query('INSERT INTO pipeline_probe VALUES ($1, $2)', [38, 'plain']);
    });

    expect(p.sent()).toEqual([
      expect.stringMatching(/^BEGIN; EXECUTE "pipeline_probe_insert"\('37', 'carried'\)$/),
      'INSERT INTO pipeline_probe VALUES ($1, $2)',
      'COMMIT',
    ]);
    expect((await committed()).map((row) => row.id)).toEqual([37, 38]);
  });

  it('runs a carried statement at once in a transaction that is not pipelined', async () => {
    await p.s.dataSource.transaction(async (tx) => {
      const { result } = await carriedInsert(tx, 32, 'plain');
      const [row] = await tx.query<{ n: number }[]>(
        'SELECT count(*)::int AS n FROM pipeline_probe WHERE id = 32',
      );
      expect(row.n).toBe(1);
      await expect(result).resolves.toEqual([]);
    });

    expect(await committed()).toEqual([{ id: 32, note: 'plain' }]);
  });
});
