import { modulePayload, parseModulePayload } from './module-payload';

const ID = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';

describe('module payloads', () => {
  it('builds MODULE:<id>', () => {
    expect(modulePayload(ID)).toBe(`MODULE:${ID}`);
  });

  it('parses its own payloads back', () => {
    expect(parseModulePayload(modulePayload(ID))).toBe(ID);
  });

  it('lower-cases the id', () => {
    expect(parseModulePayload(`MODULE:${ID.toUpperCase()}`)).toBe(ID);
  });

  it.each([
    undefined,
    null,
    '',
    'MODULE:',
    'GET_STARTED',
    ID,
    `module:${ID}`,
    `MODULE: ${ID}`,
    `MODULE:${ID} `,
    `MODULE:${ID}x`,
    `MODULE:${ID.slice(0, -1)}`,
    'MODULE:3f2b8c1e4a5d4e6f8a7b9c0d1e2f3a4b',
    'MODULE:zzzzzzzz-4a5d-4e6f-8a7b-9c0d1e2f3a4b',
    `xMODULE:${ID}`,
  ])('returns null for %j', (payload) => {
    expect(parseModulePayload(payload)).toBeNull();
  });
});
