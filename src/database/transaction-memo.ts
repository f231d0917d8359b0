import { type EntityManager, type QueryRunner } from 'typeorm';

const memos = new WeakMap<EntityManager, Map<string, Promise<unknown>>>();

/**
 * Reuses a read for the rest of the transaction it runs in: for reference data the transaction
 * does not write (a referral, a bot's answer settings), read once per batch of inbound events
 * instead of once per event. Outside a transaction it just reads.
 */
export function memoInTransaction<T>(
  manager: EntityManager,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  if (!manager.queryRunner?.isTransactionActive) return read();
  let memo = memos.get(manager);
  if (!memo) {
    memo = new Map();
    memos.set(manager, memo);
  }
  let result = memo.get(key) as Promise<T> | undefined;
  if (!result) {
    result = read();
    memo.set(key, result);
  }
  return result;
}

/**
 * `memoInTransaction` for many keys read together: the keys this transaction has not read yet
 * are read in one call of `readMissing` (given them once each, in first-seen order; it answers
 * one value per key, in that order), and each answer is kept under its key, so a later
 * `memoInTransaction` or `memoManyInTransaction` of the same key reads nothing. Results in the
 * order of `keys`. Outside a transaction it reads every distinct key, still in one call.
 */
export function memoManyInTransaction<T>(
  manager: EntityManager,
  keys: string[],
  readMissing: (keys: string[]) => Promise<T[]>,
): Promise<T[]> {
  const memo = manager.queryRunner?.isTransactionActive
    ? (memos.get(manager) ?? memos.set(manager, new Map()).get(manager)!)
    : new Map<string, Promise<unknown>>();
  const missing = [...new Set(keys.filter((key) => !memo.has(key)))];
  if (missing.length > 0) {
    const read = readMissing(missing);
    missing.forEach((key, index) =>
      memo.set(
        key,
        read.then((values) => values[index]),
      ),
    );
  }
  return Promise.all(keys.map((key) => memo.get(key) as Promise<T>));
}

/** What each transaction met (firstInTransaction), by its query runner: savepoints share it. */
const met = new WeakMap<QueryRunner, Set<string>>();

/**
 * Whether the transaction `manager` runs in meets `key` for the first time; marks it met. For
 * what a transaction does once per thing (a contact's conversation opened by it, say); kept by
 * the transaction's query runner, so its savepoints share it (a savepoint rolled back keeps its
 * keys met: the caller's general path then runs, which must also hold). Outside a transaction
 * nothing is remembered, so it answers false: the caller takes its general path.
 */
export function firstInTransaction(manager: EntityManager, key: string): boolean {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) return false;
  const keys = met.get(runner) ?? met.set(runner, new Set()).get(runner)!;
  if (keys.has(key)) return false;
  keys.add(key);
  return true;
}
