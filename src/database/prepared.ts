import { type EntityManager } from 'typeorm';
import { pipelineOf } from './pipelined-transaction';

/**
 * Runs a hot-path statement as a named prepared statement, so Postgres parses and plans it once per
 * connection instead of on every call (a third less server time per statement, measured here).
 * TypeORM hands the query to node-postgres unchanged, and node-postgres prepares any query config
 * that has a `name`. `name` must be unique per SQL text. In a transaction that plans on its own
 * (`planOwn`), the name carries its tag. In a `pipelinedTransaction`, BEGIN travels with the
 * transaction's first statement and COMMIT with the one run with `endsTransaction` (nothing may
 * follow it; elsewhere the option does nothing).
 */
export function prepared<T>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
  options: { endsTransaction?: boolean } = {},
): Promise<T> {
  const named = namedFor(manager, name);
  const pipeline = pipelineOf(manager);
  if (pipeline) return pipeline.prepared<T>(named, text, values, options.endsTransaction ?? false);
  return manager.query<T>({ name: named, text } as unknown as string, values);
}

/**
 * `prepared` for a write whose result is needed only later: in a `pipelinedTransaction` it travels
 * in front of the transaction's next statement, or its COMMIT, in that statement's message
 * (Pipeline.carried), so it costs no round trip of its own; elsewhere, and where it cannot travel
 * so (not yet prepared on the connection, inside a savepoint), it runs now, as `prepared`.
 * Resolves once issued (at once in a pipeline, once run elsewhere) to `{ result }`, the promise of
 * what `prepared` would return, which never counts as an unhandled rejection: a failure fails the
 * statement that carries it, hence the transaction.
 */
export async function preparedCarried<T>(
  manager: EntityManager,
  name: string,
  text: string,
  values: unknown[],
): Promise<{ result: Promise<T> }> {
  const result = pipelineOf(manager)?.carried<T>(namedFor(manager, name), text, values);
  return { result: result ?? Promise.resolve(await prepared<T>(manager, name, text, values)) };
}

/** The name `prepared` gives statement `name` in `manager`'s transaction (see `planOwn`). */
function namedFor(manager: EntityManager, name: string): string {
  const own = (manager.queryRunner?.data as PlannerData | undefined)?.[OWN_PLANS];
  return own ? `${name}@${own}` : name;
}

const OWN_PLANS = 'ownPlans';
type PlannerData = Record<typeof OWN_PLANS, string | undefined>;

/**
 * Gives the statements `prepared` runs through `tx` from now on names of their own (`name@tag`):
 * for a transaction that changes the planner's settings (`tx` must be one). Postgres keeps one
 * plan per prepared statement and connection, whatever the settings it was made under: with the
 * shared name, a plan the same statement got elsewhere on the connection would serve this
 * transaction, or this transaction's plan would serve elsewhere. The tag lasts for `tx`'s query
 * runner, which TypeORM makes for each transaction.
 * Source: https://www.postgresql.org/docs/15/sql-prepare.html
 */
export function planOwn(tx: EntityManager, tag: string): void {
  (tx.queryRunner!.data as PlannerData)[OWN_PLANS] = tag;
}
