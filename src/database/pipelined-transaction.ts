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
  /** The transaction is being ended (`finish`): its connection goes back to the pool after. */
  private closed = false;
  /** The statements issued so far, sent one after another in the order issued. */
  private chain: Promise<unknown> = Promise.resolve();
  /** Carried statements not sent yet: they travel in front of the next message (`carried`). */
  private held: Held[] = [];
  /** A carried statement's failure: every later statement fails with it (Postgres ignores them). */
  private failure: Error | null = null;

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
      await this.beginWithHeld();
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
      const execute =
        this.held.length > 0 || !this.began || ending ? executeOf(name, values) : null;
      if (!execute || !this.parsed(name, text)) {
        await this.beginWithHeld();
        return this.send({ name, text } as unknown as string, values) as Promise<T>;
      }
      const results = await this.sendHeld([execute, ...(ending ? ['COMMIT'] : [])]);
      if (ending) this.committed = true;
      return rowsOf(results[0]) as T;
    });
  }

  /**
   * Issues the prepared statement `name` (as `prepared`) to travel in front of the next statement
   * the transaction sends, or its COMMIT, in that statement's message: a write whose result is
   * not needed before then costs no round trip of its own (what no statement took by the event
   * loop's next turn is sent alone). Resolves to its result once that message is answered. Its
   * failure fails the carrying statement, hence the transaction; the promise returned never
   * counts as an unhandled rejection. Null, and nothing issued, when it cannot travel so (not yet
   * prepared on the connection, a value that is no literal, or inside a savepoint, whose release
   * must follow it): the caller runs it with `prepared` instead.
   */
  carried<T>(name: string, text: string, values: unknown[]): Promise<T> | null {
    this.refuseAfterEnd();
    const execute = this.depth() === 1 ? executeOf(name, values) : null;
    if (!execute || !this.parsed(name, text)) return null;
    const result = new Promise<T>((resolve, reject) => {
      // Held in its turn, so it runs after the statements issued before it.
      // After a failure, the turn throws it: the statement then fails with it, never hangs.
      this.inTurn(() => {
        this.held.push({ sql: execute, resolve: resolve as Held['resolve'], reject });
        return Promise.resolve();
      }).catch(reject);
      // Work that awaits it before issuing another statement would wait forever: what no
      // statement took by the event loop's next turn goes alone.
      setImmediate(() => void this.inTurn(() => this.sendHeld([])).catch(noop));
    });
    result.catch(noop);
    return result;
  }

  /** Ends the transaction after every statement issued: COMMIT or ROLLBACK unless none is due. */
  finish(outcome: 'COMMIT' | 'ROLLBACK'): Promise<void> {
    // A statement issued from now on (by work that did not await it) would reach the connection
    // after it went back to the pool: it is refused.
    this.closed = true;
    return this.inTurn(async () => {
      if (outcome === 'ROLLBACK') this.dropHeld();
      if (this.held.length > 0) {
        await this.sendHeld(['COMMIT']);
        this.committed = true;
      } else if (this.began && !this.committed) await this.send(outcome);
    }, outcome === 'ROLLBACK');
  }

  /**
   * Sends the held statements, then `after`, in one message (BEGIN in front when none went yet);
   * settles the held ones and returns the results of `after`. With nothing to send, sends nothing.
   */
  private async sendHeld(after: string[]): Promise<QueryResult[]> {
    const held = this.held.splice(0);
    if (held.length === 0 && after.length === 0) return [];
    const begin = !this.began;
    const sql = [...(begin ? ['BEGIN'] : []), ...held.map((h) => h.sql), ...after].join('; ');
    this.began = true;
    let results: QueryResult[];
    try {
      const answer = (await this.client.query(sql)) as unknown as QueryResult | QueryResult[];
      results = Array.isArray(answer) ? answer : [answer];
    } catch (error) {
      const failure = new QueryFailedError(sql, [], error as Error);
      for (const h of held) h.reject(failure);
      if (held.length > 0) this.failure = failure;
      throw failure;
    }
    const first = begin ? 1 : 0;
    held.forEach((h, k) => h.resolve(rowsOf(results[first + k])));
    return results.slice(first + held.length);
  }

  /** Held statements of a transaction that rolls back never run. */
  private dropHeld(): void {
    for (const h of this.held.splice(0))
      h.reject(new Error('The transaction rolled back before this statement was sent'));
  }

  /** BEGIN, if none went yet, and the held statements, in one message (nothing when neither). */
  private async beginWithHeld(): Promise<void> {
    if (this.held.length > 0) await this.sendHeld([]);
    else await this.begin();
  }

  private async begin(): Promise<void> {
    if (this.began) return;
    this.began = true;
    await this.send('START TRANSACTION');
  }

  private inTurn<T>(run: () => Promise<T>, afterFailure = false): Promise<T> {
    const turn = this.chain.then(() => {
      if (this.failure && !afterFailure) throw this.failure;
      return run();
    });
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
    if (this.ended || this.closed)
      throw new Error('The transaction has ended: no statement may follow');
  }
}

interface ParsedStatements {
  parsedStatements: Record<string, string>;
}

/** A carried statement waiting for the message that takes it (Pipeline.carried). */
interface Held {
  sql: string;
  resolve: (rows: unknown) => void;
  reject: (error: unknown) => void;
}

function noop(): void {}

/** What TypeORM's `query` returns for a result: the rows, or [rows, count] for UPDATE and DELETE. */
function rowsOf(result: QueryResult): unknown {
  return result.command === 'UPDATE' || result.command === 'DELETE'
    ? [result.rows, result.rowCount]
    : result.rows;
}

/** `EXECUTE name(literals…)` for a prepared statement, or null when a value is no literal. */
function executeOf(name: string, values: unknown[]): string | null {
  const literals = literalsOf(values);
  if (!literals) return null;
  return `EXECUTE ${escapeIdentifier(name)}${literals.length > 0 ? `(${literals.join(', ')})` : ''}`;
}

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
