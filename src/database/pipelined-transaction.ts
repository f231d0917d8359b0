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
  /** Settles once BEGIN has been sent and answered (with the first statement or alone). */
  private opened: Promise<void> | undefined;
  /** COMMIT travelled with a statement and succeeded: nothing may follow. */
  committed = false;

  constructor(
    private readonly client: Client,
    private readonly send: QueryRunner['query'],
  ) {}

  get began(): boolean {
    return this.opened !== undefined;
  }

  /** Sends BEGIN on its own unless it went already; for statements that cannot carry it. */
  open(): Promise<void> {
    this.checkOpen();
    this.opened ??= this.send('START TRANSACTION').then(() => undefined);
    return this.opened;
  }

  /**
   * Runs the prepared statement `name` (`text`, already parsed on this connection, else it is
   * prepared the usual way), with BEGIN in front when it is the first statement and COMMIT behind
   * when `ends`. Returns what TypeORM's `query` would: the rows, or [rows, count] for an UPDATE or
   * DELETE. Fails with TypeORM's QueryFailedError; a failure of any part leaves the transaction to
   * be rolled back.
   */
  async prepared<T>(
    manager: EntityManager,
    name: string,
    text: string,
    values: unknown[],
    ends: boolean,
  ): Promise<T> {
    this.checkOpen();
    const begin = !this.began;
    const literals = begin || ends ? literalsOf(values) : null;
    if (!literals || !this.parsed(name, text)) {
      await this.open();
      return manager.query<T>({ name, text } as unknown as string, values);
    }
    const sql = [
      ...(begin ? ['BEGIN'] : []),
      `EXECUTE ${escapeIdentifier(name)}${literals.length > 0 ? `(${literals.join(', ')})` : ''}`,
      ...(ends ? ['COMMIT'] : []),
    ].join('; ');
    const run = this.client.query(sql) as unknown as Promise<QueryResult[]>;
    if (begin) this.opened = run.then(noop, noop);
    let results: QueryResult[];
    try {
      results = await run;
    } catch (error) {
      throw new QueryFailedError(sql, [], error as Error);
    }
    if (ends) this.committed = true;
    const result = results[begin ? 1 : 0];
    return (
      result.command === 'UPDATE' || result.command === 'DELETE'
        ? [result.rows, result.rowCount]
        : result.rows
    ) as T;
  }

  private parsed(name: string, text: string): boolean {
    const statements = (this.client as unknown as { connection: ParsedStatements }).connection
      .parsedStatements;
    return statements[name] === text && Buffer.byteLength(name) <= MAX_NAME_BYTES;
  }

  private checkOpen(): void {
    if (this.committed) throw new Error('The transaction has committed: no statement may follow');
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
 * rethrown. A statement after the one that committed throws. TypeORM's transaction events are not
 * broadcast (the app has no subscriber).
 */
export async function pipelinedTransaction<T>(
  dataSource: DataSource,
  work: (tx: EntityManager) => Promise<T>,
): Promise<T> {
  const runner = dataSource.createQueryRunner();
  const client = (await runner.connect()) as Client;
  const send: QueryRunner['query'] = runner.query.bind(runner);
  const pipeline = new Pipeline(client, send);
  (runner.data as Record<string, Pipeline>)[PIPELINE] = pipeline;
  // Every statement not sent by `prepared` (TypeORM's savepoints, repositories) opens it first.
  runner.query = (async (...args: Parameters<QueryRunner['query']>): Promise<unknown> => {
    await pipeline.open();
    return send(...args) as Promise<unknown>;
  }) as QueryRunner['query'];
  inTransaction(runner, true);
  try {
    const result = await work(runner.manager);
    if (pipeline.began && !pipeline.committed) await send('COMMIT');
    return result;
  } catch (error) {
    if (pipeline.began && !pipeline.committed) await send('ROLLBACK').catch(noop);
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
