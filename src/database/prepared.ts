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
  const own = (manager.queryRunner?.data as PlannerData | undefined)?.[OWN_PLANS];
  const named = own ? `${name}@${own}` : name;
  const pipeline = pipelineOf(manager);
  if (pipeline) return pipeline.prepared<T>(named, text, values, options.endsTransaction ?? false);
  return manager.query<T>({ name: named, text } as unknown as string, values);
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
