import { type MessagingItem } from './envelope';

/**
 * Nesting an item may have. Meta's items are under ten levels deep; JSON.stringify overflows the
 * stack at around 10,000 and Postgres's recursive jsonb code has limits of its own, so anything
 * deeper than this is junk that only has to be stored safely, not read.
 */
export const MAX_ITEM_DEPTH = 200;

/** Where a cleaned item had ids Postgres could not hold: such an item names nobody we can trust. */
const ID_PATHS = new Set([
  'sender.id',
  'sender.user_ref',
  'recipient.id',
  'optin.user_ref',
  'message.mid',
  'postback.mid',
]);

/**
 * Ids that only link the item to someone else (the checkbox plugin's user_ref in `prior_message`,
 * read at item level and inside `message`): cleaned, they could name another person, so they are
 * dropped (null) and the item is handled without the link, as from a sender seen for the first time.
 */
const LINK_PATHS = new Set(['prior_message.identifier', 'message.prior_message.identifier']);

// eslint-disable-next-line no-control-regex -- NUL is exactly what Postgres refuses
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** One container to copy: `source` into `target`; `path` names the top levels, for the id check. */
interface Copying {
  source: unknown;
  target: Record<string, unknown> | unknown[];
  path: string | null;
  depth: number;
  /** Whether a key on the way here needed cleaning. */
  keyCleaned: boolean;
}

/** What cleaning an item found; `item` is the original when nothing needed cleaning. */
export interface StorableItem {
  item: MessagingItem;
  /** Why the item cannot be handled (its ids were unstorable, it was too deep); null when it can. */
  problem: string | null;
  /** `item` as JSON text, ready for the jsonb column (computed once on the webhook's hot path). */
  json: string;
}

/**
 * Postgres refuses NUL in text and jsonb, and jsonb refuses lone UTF-16 surrogates (a `\ud800`
 * escape without its pair): NUL is dropped and a lone surrogate becomes U+FFFD, in keys and values.
 */
export function storableText(value: string): string {
  return value.replace(UNSTORABLE, (c) => (c === '\u0000' ? '' : '\uFFFD'));
}

function needsCleaning(value: string): boolean {
  UNSTORABLE.lastIndex = 0;
  const found = UNSTORABLE.test(value);
  UNSTORABLE.lastIndex = 0;
  return found;
}

/**
 * A copy of a webhook item that Postgres can store as jsonb and our code can walk: every string and
 * every key cleaned with `storableText`, subtrees below MAX_ITEM_DEPTH replaced by null. Iterative,
 * so no input depth overflows the stack. An item whose ids needed cleaning, or that was cut, comes
 * back with a `problem`: it is stored as ignored rather than answered. Returns the item itself
 * (no copy) when nothing needed doing, the common case.
 */
export function storableItem(item: MessagingItem): StorableItem {
  const json = cheapJson(item);
  if (json !== null && !needsWork(item, json)) return { item, problem: null, json };
  const problems = new Set<string>();
  const root: Record<string, unknown> = {};
  const pending: Copying[] = [
    { source: item, target: root, path: '', depth: 1, keyCleaned: false },
  ];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { source, target, path, depth, keyCleaned } = next;
    const entries: [string | number, unknown][] = Array.isArray(source)
      ? source.map((value, index) => [index, value])
      : Object.entries(source as Record<string, unknown>);
    for (const [rawKey, value] of entries) {
      let key = rawKey;
      // A cleaned key on the way ("sender\u0000", "i\u0000d") makes a path that was not Meta's.
      let cleaned = keyCleaned;
      if (typeof rawKey === 'string' && needsCleaning(rawKey)) {
        key = storableText(rawKey);
        cleaned = true;
        problems.add(`UNSTORABLE_KEY`);
      }
      const childPath = path === null ? null : path ? `${path}.${key}` : String(key);
      const dirty = typeof value === 'string' && needsCleaning(value);
      let copy: unknown = dirty ? storableText(value) : value;
      if (childPath && (dirty || cleaned) && typeof value !== 'object') {
        if (ID_PATHS.has(childPath)) problems.add(`UNSTORABLE_ID: ${childPath}`);
        if (LINK_PATHS.has(childPath)) copy = null;
      }
      if (typeof value === 'object' && value !== null) {
        if (depth >= MAX_ITEM_DEPTH) {
          copy = null;
          problems.add(`TOO_DEEP: nested deeper than ${MAX_ITEM_DEPTH} levels`);
        } else {
          copy = Array.isArray(value) ? [] : {};
          pending.push({
            source: value,
            target: copy as Record<string, unknown> | unknown[],
            // Paths are followed three levels down: deep enough for every id checked.
            path: depth < 3 ? childPath : null,
            depth: depth + 1,
            keyCleaned: cleaned,
          });
        }
      }
      if (Array.isArray(target)) target[key as number] = copy;
      // A cleaned key can meet an existing one ("a\u0000" and "a"): the first one kept wins.
      else if (!Object.hasOwn(target, key)) defineKey(target, key as string, copy);
    }
  }
  const blocking = [...problems].filter((problem) => problem !== 'UNSTORABLE_KEY');
  return {
    item: root,
    problem: blocking.length > 0 ? blocking.sort().join('; ') : null,
    json: JSON.stringify(root),
  };
}

/** Sets an own property even for names like `__proto__`, which plain assignment would not. */
function defineKey(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The item as JSON, or null when it is too deep for JSON.stringify itself. */
function cheapJson(item: MessagingItem): string | null {
  try {
    return JSON.stringify(item);
  } catch {
    return null;
  }
}

/**
 * Whether anything in the item needs cleaning or cutting, without copying. The JSON text says it
 * cheaply for almost every item: NUL and lone surrogates are written as \u escapes. The depth check
 * walks only items whose text has more than MAX_ITEM_DEPTH opening brackets.
 */
function needsWork(item: MessagingItem, json: string): boolean {
  if (json.includes('\\u0000') || json.includes('\\ud')) return true;
  let brackets = 0;
  for (let i = 0; i < json.length && brackets <= MAX_ITEM_DEPTH; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) brackets++;
  }
  return brackets > MAX_ITEM_DEPTH && depthOf(item) > MAX_ITEM_DEPTH;
}

function depthOf(value: unknown): number {
  let max = 0;
  const pending: [unknown, number][] = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [node, depth] = next;
    if (typeof node !== 'object' || node === null) continue;
    max = Math.max(max, depth);
    if (max > MAX_ITEM_DEPTH) return max;
    for (const child of Object.values(node)) pending.push([child, depth + 1]);
  }
  return max;
}
