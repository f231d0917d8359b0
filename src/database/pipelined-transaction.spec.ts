import { literalsOf } from './pipelined-transaction';

describe('literalsOf', () => {
  it('quotes values as node-postgres would send them as text parameters', () => {
    expect(
      literalsOf([null, undefined, 7, true, "it's", 'back\\slash', ['a', null, 'b"c']]),
    ).toEqual([
      'NULL',
      'NULL',
      "'7'",
      "'true'",
      "'it''s'",
      " E'back\\\\slash'",
      ` E'{"a",NULL,"b\\\\"c"}'`,
    ]);
  });

  it('gives up on a value that cannot be a literal, so the statement is sent as parameters', () => {
    expect(literalsOf(['a', Buffer.from('bytes')])).toBeNull();
    expect(literalsOf(['nul \0 byte'])).toBeNull();
    expect(literalsOf([['nul \0 in an array']])).toBeNull();
  });
});
