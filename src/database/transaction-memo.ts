import { type EntityManager } from 'typeorm';

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
