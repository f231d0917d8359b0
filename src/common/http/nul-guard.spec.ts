import { nulPaths } from './nul-guard';

describe('nulPaths', () => {
  it('names every string holding NUL by its path, and property names holding one', () => {
    const body = {
      name: 'a\u0000b',
      clean: 'fine',
      content: { messages: [{ text: 'ok' }, { text: '\u0000' }] },
      config: { 'bad\u0000key': 'x' },
      count: 3,
      none: null,
    };
    expect(nulPaths(body)).toEqual(['config.bad\\u0000key', 'content.messages[1].text', 'name']);
  });

  it('reports a bare string body as `body` and finds nothing in clean values', () => {
    expect(nulPaths('\u0000')).toEqual(['body']);
    expect(nulPaths({ a: ['x', { b: 'y' }] })).toEqual([]);
    expect(nulPaths(undefined)).toEqual([]);
  });

  it('walks very deep nesting without overflowing the stack', () => {
    let deep: unknown = '\u0000';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(nulPaths(deep)).toHaveLength(1);
  });
});
