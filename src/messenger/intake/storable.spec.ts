import { MAX_ITEM_DEPTH, storableItem, storableText } from './storable';

describe('storableText', () => {
  it('drops NUL and replaces lone surrogates of either half, keeping pairs', () => {
    expect(storableText('a\u0000b')).toBe('ab');
    expect(storableText('\ud800x\udfff')).toBe('\ufffdx\ufffd');
    expect(storableText('😀')).toBe('😀');
  });
});

describe('storableItem', () => {
  it('returns the item itself when nothing needs cleaning', () => {
    const item = { sender: { id: '1' }, message: { text: 'hi 😀' } };
    expect(storableItem(item).item).toBe(item);
    expect(storableItem(item).problem).toBeNull();
  });

  it('cleans keys and values at any depth, without a problem when no id was touched', () => {
    const item = {
      sender: { id: '1', '\u0000': 1 },
      message: { deep: [{ 'k\ud800': 'v\u0000' }] },
    };
    const clean = { sender: { id: '1', '': 1 }, message: { deep: [{ 'k\ufffd': 'v' }] } };
    expect(storableItem(item)).toEqual({ item: clean, problem: null, json: JSON.stringify(clean) });
  });

  it('names the ids that needed cleaning', () => {
    const { problem } = storableItem({ sender: { id: '1\u0000' }, postback: { mid: '\ud800' } });
    expect(problem).toBe('UNSTORABLE_ID: postback.mid; UNSTORABLE_ID: sender.id');
  });

  it("names an id reached through a key that needed cleaning (its path was not Meta's)", () => {
    expect(storableItem({ sender: { 'i\u0000d': 'someone' } }).problem).toBe(
      'UNSTORABLE_ID: sender.id',
    );
    expect(storableItem({ 'sender\ud800': { id: '1' } }).problem).toBeNull();
    expect(storableItem({ message: { 'mid\u0000': 'm_1', text: 'hi' } }).problem).toBe(
      'UNSTORABLE_ID: message.mid',
    );
  });

  it('drops a checkbox identifier that needed cleaning, at item level and inside message', () => {
    const { item, problem } = storableItem({
      sender: { id: '1' },
      prior_message: { source: 'checkbox_plugin', identifier: 'ref\u0000' },
      message: { prior_message: { 'identifier\u0000': 'ref' }, text: 'hi' },
    });
    expect(problem).toBeNull();
    expect(item).toEqual({
      sender: { id: '1' },
      prior_message: { source: 'checkbox_plugin', identifier: null },
      message: { prior_message: { identifier: null }, text: 'hi' },
    });
  });

  it('does not take a deeper key spelled like an id path for the id', () => {
    expect(storableItem({ a: { b: { 'sender.id': 'x\u0000' } } }).problem).toBeNull();
  });

  it('cuts what nests deeper than the limit, without overflowing the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const { item, problem } = storableItem({ sender: { id: '1' }, x: deep });
    expect(problem).toBe(`TOO_DEEP: nested deeper than ${MAX_ITEM_DEPTH} levels`);
    expect(() => JSON.stringify(item)).not.toThrow();
  });

  it('keeps __proto__ as a plain key and the first of two keys that clean alike', () => {
    const item = JSON.parse('{"__proto__":{"x":1},"a\\u0000":1,"a":2}');
    const clean = storableItem(item).item;
    expect(Object.getPrototypeOf(clean)).toBe(Object.prototype);
    expect(JSON.stringify(clean)).toBe('{"__proto__":{"x":1},"a":1}');
  });
});
