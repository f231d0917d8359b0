import { type EntityManager } from 'typeorm';
import { firstInTransaction, memoInTransaction, memoManyInTransaction } from './transaction-memo';

const manager = (isTransactionActive: boolean) =>
  ({ queryRunner: { isTransactionActive } }) as unknown as EntityManager;

describe('memoManyInTransaction', () => {
  it('reads only the keys the transaction has not read, once each, in one call', async () => {
    const tx = manager(true);
    const reads: string[][] = [];
    const read = (keys: string[]) => {
      reads.push(keys);
      return Promise.resolve(keys.map((key) => key.toUpperCase()));
    };
    expect(await memoManyInTransaction(tx, ['a', 'b', 'a'], read)).toEqual(['A', 'B', 'A']);
    expect(await memoManyInTransaction(tx, ['b', 'c'], read)).toEqual(['B', 'C']);
    expect(await memoInTransaction(tx, 'c', () => Promise.resolve('not read'))).toBe('C');
    expect(await memoManyInTransaction(tx, ['a', 'c'], read)).toEqual(['A', 'C']);
    expect(reads).toEqual([['a', 'b'], ['c']]);
  });

  it('shares what memoInTransaction read', async () => {
    const tx = manager(true);
    await memoInTransaction(tx, 'a', () => Promise.resolve('first'));
    const read = jest.fn((keys: string[]) => Promise.resolve(keys.map(() => 'second')));
    expect(await memoManyInTransaction(tx, ['a', 'b'], read)).toEqual(['first', 'second']);
    expect(read).toHaveBeenCalledWith(['b']);
  });

  it('outside a transaction reads every distinct key each time', async () => {
    const plain = manager(false);
    const read = jest.fn((keys: string[]) => Promise.resolve(keys.map((key) => key)));
    await memoManyInTransaction(plain, ['a', 'a'], read);
    await memoManyInTransaction(plain, ['a'], read);
    expect(read.mock.calls).toEqual([[['a']], [['a']]]);
  });
});

describe('firstInTransaction', () => {
  it('answers true once per key and transaction', () => {
    const tx = manager(true);
    expect(firstInTransaction(tx, 'a')).toBe(true);
    expect(firstInTransaction(tx, 'a')).toBe(false);
    expect(firstInTransaction(tx, 'b')).toBe(true);
    expect(firstInTransaction(manager(true), 'a')).toBe(true);
  });

  it('is shared by the managers of one query runner (a savepoint’s and its transaction’s)', () => {
    const queryRunner = { isTransactionActive: true };
    const tx = { queryRunner } as unknown as EntityManager;
    const savepoint = { queryRunner } as unknown as EntityManager;
    expect(firstInTransaction(savepoint, 'a')).toBe(true);
    expect(firstInTransaction(tx, 'a')).toBe(false);
  });

  it('outside a transaction always answers false', () => {
    const plain = manager(false);
    expect(firstInTransaction(plain, 'a')).toBe(false);
    expect(firstInTransaction(plain, 'a')).toBe(false);
  });
});
