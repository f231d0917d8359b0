import fc from 'fast-check';
import { type EntityManager, QueryFailedError } from 'typeorm';
import { pipelinedTransaction, prepared } from '../../src/database';
import { usePipelineProbe } from './support/pipeline-probe';

/**
 * A pipelined transaction (src/database/pipelined-transaction.ts) sends BEGIN with its first
 * prepared statement and COMMIT with the one that ends it, on a pool that has one connection to
 * hand out (as a busy worker's pool hands the same connection on), and ends as a plain transaction
 * would when any part fails.
 */
describe('A pipelined transaction (integration)', () => {
  const p = usePipelineProbe();
  const { insert, rename, committed, idleInTransaction } = p;

  it('costs one round trip per statement once they are prepared, and commits', async () => {
    const result = await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 1, 'one');
      return rename(tx, 1, 'uno', true);
    });

    expect(result).toEqual([[{ id: 1 }], 1]);
    expect(p.sent()).toHaveLength(2);
    expect(p.sent()[0]).toMatch(/^BEGIN; EXECUTE "pipeline_probe_insert"\(/);
    expect(p.sent()[1]).toMatch(/^EXECUTE "pipeline_probe_rename"\(.*\); COMMIT$/);
    expect(await committed()).toEqual([{ id: 1, note: 'uno' }]);
  });

  it('sends BEGIN and COMMIT on their own around a statement not yet prepared', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await prepared(tx, 'pipeline_probe_fresh', 'INSERT INTO pipeline_probe VALUES ($1, $2)', [
        2,
        'fresh',
      ]);
    });

    expect(p.sent()).toEqual([
      'START TRANSACTION',
      'INSERT INTO pipeline_probe VALUES ($1, $2)',
      'COMMIT',
    ]);
    expect(await committed()).toEqual([{ id: 2, note: 'fresh' }]);
  });

  it('keeps nothing when the statement that ends it fails, and leaves the connection usable', async () => {
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 3, 'three');
      await insert(tx, 3, 'again', true);
    });

    await expect(failing).rejects.toBeInstanceOf(QueryFailedError);
    expect(p.sent().at(-1)).toBe('ROLLBACK');
    expect(await committed()).toEqual([]);
    await pipelinedTransaction(p.s.dataSource, (tx) => insert(tx, 4, 'after', true));
    expect(await committed()).toEqual([{ id: 4, note: 'after' }]);
  });

  it('keeps nothing when its COMMIT fails (a deferred constraint)', async () => {
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 5, 'same');
      await insert(tx, 6, 'same', true);
    });

    await expect(failing).rejects.toThrow(/uq_pipeline_probe_note/);
    expect(await committed()).toEqual([]);
    await pipelinedTransaction(p.s.dataSource, (tx) => insert(tx, 7, 'after', true));
    expect(await committed()).toEqual([{ id: 7, note: 'after' }]);
  });

  it('refuses a statement after the one that ended it, which then runs nowhere', async () => {
    const late = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 8, 'ended', true);
      await tx.query('INSERT INTO pipeline_probe VALUES (9, $1)', ['late']);
    });

    await expect(late).rejects.toThrow(/has ended/);
    expect(await committed()).toEqual([{ id: 8, note: 'ended' }]);
  });

  it('sends statements issued together in the order issued, all in the transaction', async () => {
    await pipelinedTransaction(p.s.dataSource, (tx) =>
      Promise.all([
        tx.query('INSERT INTO pipeline_probe (id, note) VALUES ($1, $2)', [12, 'plain']),
        insert(tx, 13, 'ends', true),
      ]),
    );

    expect(p.sent()[0]).toBe('START TRANSACTION');
    expect(p.sent().at(-1)).toMatch(/; COMMIT$/);
    expect(await committed()).toEqual([
      { id: 12, note: 'plain' },
      { id: 13, note: 'ends' },
    ]);
    expect(await idleInTransaction()).toBe(0);
  });

  it('commits nothing when a statement issued together with the ending one fails', async () => {
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 14, 'first');
      return Promise.all([insert(tx, 14, 'duplicate'), insert(tx, 15, 'ends', true)]);
    });

    await expect(failing).rejects.toThrow(/duplicate key/);
    expect(await committed()).toEqual([]);
    expect(await idleInTransaction()).toBe(0);
  });

  it('commits after a savepoint’s release when the ending statement ran inside the savepoint', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 16, 'outer');
      await tx.transaction((savepoint) => insert(savepoint, 17, 'in the savepoint', true));
    });

    expect(p.sent().slice(-2)).toEqual(['RELEASE SAVEPOINT typeorm_1', 'COMMIT']);
    expect(await committed()).toEqual([
      { id: 16, note: 'outer' },
      { id: 17, note: 'in the savepoint' },
    ]);
  });

  it('rolls back when its work throws after the first statement', async () => {
    const failing = pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 10, 'ten');
      throw new Error('work failed');
    });

    await expect(failing).rejects.toThrow('work failed');
    expect(p.sent()).toEqual([expect.stringMatching(/^BEGIN; EXECUTE/), 'ROLLBACK']);
    expect(await committed()).toEqual([]);
  });

  it('takes a savepoint for a nested transaction, and keeps the rest when it rolls back', async () => {
    await pipelinedTransaction(p.s.dataSource, async (tx) => {
      await insert(tx, 11, 'kept');
      await tx
        .transaction(async (nested) => {
          await insert(nested, 12, 'undone');
          throw new Error('nested failed');
        })
        .catch(() => undefined);
      await rename(tx, 11, 'still kept', true);
    });

    expect(p.sent()).toContain('ROLLBACK TO SAVEPOINT typeorm_1');
    expect(await committed()).toEqual([{ id: 11, note: 'still kept' }]);
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
          const expected = await p.s.dataSource.query(
            `SELECT $1::text AS a, $2::text[] AS b, $3::timestamptz AS c, $4::bigint AS d,
                    $5::boolean AS e, $6::jsonb AS f, $7::varchar[] AS g`,
            values,
          );
          p.resetSent();
          const folded = await pipelinedTransaction(p.s.dataSource, (tx) => echo(tx, values, true));
          expect(folded).toEqual(expected);
        },
      ),
      { numRuns: 150 },
    );
    expect(p.sent()[0]).toMatch(/^BEGIN; EXECUTE "pipeline_probe_echo"/);
  });
});
