import * as pg from 'pg';
import { type Client, type QueryResult, escapeIdentifier, escapeLiteral } from 'pg';
import { type DataSource, type EntityManager, type QueryRunner, QueryFailedError } from 'typeorm';

/** node-postgres's own conversion of a parameter to its text form (exported, not in its types). */
const { prepareValue } = (
  pg as unknown as { utils: { prepareValue: (this: void, value: unknown) => unknown } }
).utils;

const PIPELINE = 'pipeline';
/** Postgres truncates longer identifiers (NAMEDATALEN - 1 bytes), so `EXECUTE` would miss. */
const MAX_NAME_BYTES = 63;

/**
 * A transaction whose BEGIN and COMMIT travel with its statements (`pipelinedTransaction`).
 * node-postgres sends one statement per round trip and waits for each answer, so a transaction
 * of n statements is n + 2 round trips; in the simple query protocol one message may hold several
 * statements, and SQL's EXECUTE runs a statement prepared earlier on the connection (the protocol's
 * named statements and SQL's are the same objects, with their cached plans).
 * Source: https://www.postgresql.org/docs/15/protocol-flow.html#PROTOCOL-FLOW-MULTI-STATEMENT,
 * https://www.postgresql.org/docs/15/sql-execute.html
 */
class Pipeline {
  /** BEGIN has been sent (alone or with a statement). */
  began = false;
  /** COMMIT travelled with a statement and succeeded. */
  committed = false;
  /** The statement that ends the transaction was issued: nothing may follow it. */
  private ended = false;
  /** The statements issued so far, sent one after another in the order issued. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly runner: QueryRunner,
    private readonly client: Client,
    private readonly send: QueryRunner['query'],
  ) {}

  /**
   * Sends a statement of `work` that cannot carry BEGIN (a savepoint, a repository's statement)
   * in its turn, BEGIN first if none went yet. Throws at once after the ending statement.
   */
  statement<T>(sendIt: () => Promise<T>): Promise<T> {
    this.refuseAfterEnd();
    return this.inTurn(async () => {
      await this.begin();
      return sendIt();
    });
  }

  /**
   * Runs the prepared statement `name` (`text`, already parsed on this connection, else it is
   * prepared the usual way), with BEGIN in front when it is the first statement and COMMIT behind
   * when `ends` (ignored inside a savepoint: the savepoint's release must follow). Returns what
   * TypeORM's `query` would: the rows, or [rows, count] for an UPDATE or DELETE. Fails with
   * TypeORM's QueryFailedError; a failure of any part leaves the transaction to be rolled back.
   */
  prepared<T>(name: string, text: string, values: unknown[], ends: boolean): Promise<T> {
    this.refuseAfterEnd();
    const ending = ends && this.depth() === 1;
    if (ending) this.ended = true;
    return this.inTurn(async () => {
      const begin = !this.began;
      const literals = begin || ending ? literalsOf(values) : null;
      if (!literals || !this.parsed(name, text)) {
        await this.begin();
        return this.send({ name, text } as unknown as string, values) as Promise<T>;
      }
      const sql = [
        ...(begin ? ['BEGIN'] : []),
        `EXECUTE ${escapeIdentifier(name)}${literals.length > 0 ? `(${literals.join(', ')})` : ''}`,
        ...(ending ? ['COMMIT'] : []),
      ].join('; ');
      this.began = true;
      let results: QueryResult[];
      try {
        results = (await this.client.query(sql)) as unknown as QueryResult[];
      } catch (error) {
        throw new QueryFailedError(sql, [], error as Error);
      }
      if (ending) this.committed = true;
      const result = results[begin ? 1 : 0];
      return (
        result.command === 'UPDATE' || result.command === 'DELETE'
          ? [result.rows, result.rowCount]
          : result.rows
      ) as T;
    });
  }

  /** Ends the transaction after every statement issued: COMMIT or ROLLBACK unless none is due. */
  finish(outcome: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    return this.inTurn(async () => {
      if (this.began && !this.committed) await this.send(outcome);
    });
  }

  private async begin(): Promise<void> {
    if (this.began) return;
    this.began = true;
    await this.send('START TRANSACTION');
  }

  private inTurn<T>(run: () => Promise<T>): Promise<T> {
    const turn = this.chain.then(run);
    this.chain = turn.then(noop, noop);
    return turn;
  }

  private depth(): number {
    return (this.runner as unknown as { transactionDepth: number }).transactionDepth;
  }

  private parsed(name: string, text: string): boolean {
    const statements = (this.client as unknown as { connection: ParsedStatements }).connection
      .parsedStatements;
    return statements[name] === text && Buffer.byteLength(name) <= MAX_NAME_BYTES;
  }

  private refuseAfterEnd(): void {
    if (this.ended) throw new Error('The transaction has ended: no statement may follow');
  }
}

interface ParsedStatements {
  parsedStatements: Record<string, string>;
}

function noop(): void {}

/**
 * The statement's values as SQL literals, as node-postgres would send them as text parameters
 * (`utils.prepareValue`: arrays, dates, JSON), each quoted by `escapeLiteral`; null when one
 * cannot be a literal (a Buffer, sent as binary; a NUL byte, which ends a query string).
 */
export function literalsOf(values: unknown[]): string[] | null {
  const literals: string[] = [];
  for (const value of values) {
    const text = prepareValue(value);
    if (text === null || text === undefined) literals.push('NULL');
    else if (typeof text !== 'string' || text.includes('\0')) return null;
    else literals.push(escapeLiteral(text));
  }
  return literals;
}

/** The pipeline of the transaction `manager` runs in, if it is a pipelined one. */
export function pipelineOf(manager: EntityManager): Pipeline | undefined {
  const data: Record<string, Pipeline | undefined> | undefined = manager.queryRunner?.data;
  return data?.[PIPELINE];
}

/**
 * Runs `work` in a transaction that costs no round trip of its own when its statements go through
 * `prepared`: BEGIN travels with the first (`BEGIN; EXECUTE …`) and COMMIT with the one marked
 * `endsTransaction` (`EXECUTE …; COMMIT`), once they are prepared on the connection; otherwise,
 * and for any other statement, BEGIN goes first on its own and COMMIT after `work`. Like
 * `DataSource.transaction`: `work` gets the transaction's EntityManager (nested `transaction`
 * calls take savepoints), the transaction rolls back when `work` throws, and the error is
 * rethrown. Statements go one after another in the order issued; one issued after the ending
 * statement throws. TypeORM's transaction events are not broadcast (the app has no subscriber).
 */
export async function pipelinedTransaction<T>(
  dataSource: DataSource,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as Client;
  const send: QueryRunner['query'] = runner.query.bind(runner);
  const pipeline = new Pipeline(runner, client, send);
  (runner.data as Record<string, Pipeline>)[PIPELINE] = pipeline;
  // Every statement not sent by `prepared` (TypeORM's savepoints, repositories) takes its turn,
  // BEGIN first if none went yet.
  runner.query = ((...args: Parameters<QueryRunner['query']>): Promise<unknown> =>
    pipeline.statement(() => send(...args) as Promise<unknown>)) as QueryRunner['query'];
  inTransaction(runner, true);
  try {
    const result = await work(runner.manager);
    await pipeline.finish('COMMIT');
    return result;
  } catch (error) {
    await pipeline.finish('ROLLBACK').catch(noop);
    throw error;
  } finally {
    inTransaction(runner, false);
    await runner.release();
  }
}

/** TypeORM's own flags: its nested transactions then take savepoints, as in its `transaction`. */
function inTransaction(runner: QueryRunner, active: boolean): void {
  (runner as unknown as { isTransactionActive: boolean }).isTransactionActive = active;
  (runner as unknown as { transactionDepth: number }).transactionDepth = active ? 1 : 0;
}
