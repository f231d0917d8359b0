import { validate } from 'class-validator';
import { CharLength, charCount, MaxChars } from './char-length';

class Named {
  @CharLength(1, 100)
  name!: unknown;
}

class Described {
  @MaxChars(5)
  description!: unknown;
}

async function messagesFor(name: unknown): Promise<string[]> {
  const errors = await validate(Object.assign(new Named(), { name }));
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

describe('charCount', () => {
  it('counts code points, as Postgres varchar(n) does', () => {
    expect(charCount('abc')).toBe(3);
    expect(charCount('a\uFE0F')).toBe(2);
    expect(charCount('🌷')).toBe(1);
    expect(charCount('👍🏽')).toBe(2);
    expect(charCount('')).toBe(0);
  });
});

describe('CharLength', () => {
  it('accepts 1 to 100 characters', async () => {
    expect(await messagesFor('x')).toEqual([]);
    expect(await messagesFor('x'.repeat(100))).toEqual([]);
    expect(await messagesFor('🌷'.repeat(100))).toEqual([]);
  });

  it('counts variation selectors, which @Length skips', async () => {
    expect(await messagesFor('a\uFE0F'.repeat(50))).toEqual([]);
    expect(await messagesFor('a\uFE0F'.repeat(51))).toEqual([
      'name must be shorter than or equal to 100 characters',
    ]);
    expect(await messagesFor('\u2764\uFE0E'.repeat(51))).toEqual([
      'name must be shorter than or equal to 100 characters',
    ]);
  });

  it('refuses empty strings and non-strings with the message @Length gives', async () => {
    expect(await messagesFor('')).toEqual(['name must be longer than or equal to 1 characters']);
    expect(await messagesFor(42)).toEqual(['name must be longer than or equal to 1 characters']);
  });
});

describe('MaxChars', () => {
  it('has no lower bound', async () => {
    const check = async (description: string): Promise<number> =>
      (await validate(Object.assign(new Described(), { description }))).length;
    expect(await check('')).toBe(0);
    expect(await check('ab\uFE0Fcd')).toBe(0);
    expect(await check('ab\uFE0Fcde')).toBe(1);
  });
});
