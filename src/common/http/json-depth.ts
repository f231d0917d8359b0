/**
 * The deepest nesting of arrays and objects a JSON body may have. The deepest body the API takes
 * is a module's content (`config.content.messages[i].buttons[j]`: 6 levels) and a Messenger
 * delivery nests about 8 (`entry[].messaging[].message.attachments[].payload`); past 32 nothing
 * legitimate remains. class-transformer and class-validator recurse once per level and ran out of
 * stack at about 1,300 levels (a 2.7 kB body), so the limit is checked before either runs.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * How deep `value` nests arrays and objects (a scalar is 0, `{}` and `[]` are 1), counted
 * iteratively so the count itself cannot overflow the stack; it stops counting past `limit + 1`.
 */
export function jsonDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  let deepest = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== 'object') continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    const children = Array.isArray(item) ? item : Object.values(item);
    for (const child of children) {
      if (child !== null && typeof child === 'object') pending.push([child, depth + 1]);
    }
  }
  return deepest;
}
