import fc from 'fast-check';

/**
 * The values the API fuzzer (scripts/api-fuzzer.ts) sends: what an OpenAPI schema admits, and junk
 * (ids that are not UUIDs, control characters, bodies nested deep) put in their place.
 */

/** An OpenAPI schema object, as /docs-json gives it. */
export type Schema = Record<string, any>;

export const UUID_JUNK = fc.constantFrom(
  '00000000-0000-4000-8000-000000000000',
  'not-a-uuid',
  '%00',
  '..',
  'x'.repeat(300),
  '123',
  'ÄÖÜ',
);

export const JUNK = fc.oneof(
  fc.constantFrom<unknown>([], {}, null, 0, -1, 1e308, '', ' ', '\u0000', true, 'x'.repeat(5000)),
  fc.jsonValue({ maxDepth: 3 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
);

/** A body nested `depth` levels deep, as the stack-overflow reports sent. */
export const deepBody = fc
  .integer({ min: 20, max: 3000 })
  .map((depth) => `{"name":${'['.repeat(depth)}${']'.repeat(depth)}}`);

/** `schema` with its `$ref` followed in `document`. */
export function resolve(document: Schema, schema: Schema | undefined): Schema {
  let current = schema ?? {};
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const path = String(current.$ref).replace(/^#\//, '').split('/');
    current = path.reduce<Schema>((node, key) => node?.[key], document) ?? {};
  }
  return current;
}

/** Values a schema admits (roughly: formats and patterns honoured, lengths kept small). */
export function arbitraryOf(
  document: Schema,
  raw: Schema | undefined,
  depth = 0,
  known: Record<string, string> = {},
  name = '',
): fc.Arbitrary<unknown> {
  const schema = resolve(document, raw);
  if (depth > 8) return fc.constant(null);
  const wrap = (arb: fc.Arbitrary<unknown>): fc.Arbitrary<unknown> =>
    schema.nullable ? fc.option(arb, { nil: null, freq: 5 }) : arb;
  if (schema.enum) return wrap(fc.constantFrom(...(schema.enum as unknown[])));
  const alternatives = (schema.oneOf ?? schema.anyOf) as Schema[] | undefined;
  if (alternatives?.length)
    return wrap(
      fc.oneof(...alternatives.map((s) => arbitraryOf(document, s, depth + 1, known, name))),
    );
  if (schema.allOf?.length === 1)
    return wrap(arbitraryOf(document, schema.allOf[0], depth + 1, known, name));
  if (schema.allOf?.length) {
    const merged = Object.assign({}, ...schema.allOf.map((s: Schema) => resolve(document, s)));
    return wrap(arbitraryOf(document, merged, depth + 1, known, name));
  }
  switch (schema.type) {
    case 'string': {
      const maxLength = Math.min(schema.maxLength ?? 60, 200);
      const minLength = schema.minLength ?? 0;
      // An id of this tenant's (a module of its own) now and then, so requests get past the lookups.
      const id = Object.entries(known).find(([key]) =>
        name.toLowerCase().endsWith(key.toLowerCase()),
      )?.[1];
      if (schema.format === 'uuid')
        return wrap(id ? fc.oneof(fc.constant(id), fc.constant(id), fc.uuid()) : fc.uuid());
      if (schema.format === 'uri') return wrap(fc.webUrl());
      if (schema.format === 'date-time')
        return wrap(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      if (schema.pattern) {
        // Stretched or cut to the lengths (a filter would spin on `^\S+$` with minLength 20):
        // the value then mostly still matches, and when it does not, it is one more invalid input.
        const max = schema.maxLength ?? Infinity;
        return wrap(
          fc.stringMatching(new RegExp(schema.pattern as string)).map((s) => {
            let value = s || '1';
            while (value.length < minLength) value += value;
            return value.slice(0, max);
          }),
        );
      }
      return wrap(
        fc.string({ unit: 'grapheme', minLength, maxLength: Math.max(minLength, maxLength) }),
      );
    }
    case 'integer':
      return wrap(fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000 }));
    case 'number':
      return wrap(
        fc.double({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1000, noNaN: true }),
      );
    case 'boolean':
      return wrap(fc.boolean());
    case 'array':
      return wrap(
        fc.array(arbitraryOf(document, schema.items, depth + 1, known), {
          minLength: schema.minItems ?? 0,
          maxLength: Math.min(schema.maxItems ?? 3, 4),
        }),
      );
    default: {
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const names = Object.keys(properties);
      if (names.length === 0)
        return wrap(
          fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        );
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const key of names)
        record[key] = arbitraryOf(document, properties[key], depth + 1, known, key);
      return wrap(
        fc.record(record, {
          requiredKeys: (schema.required ?? []).filter((n: string) => names.includes(n)),
        }),
      );
    }
  }
}

/** `value` with its `n`-th node (depth-first, modulo the count) replaced by `junk`. */
export function replaceNode(value: unknown, n: number, junk: unknown): unknown {
  const nodes: { parent: any; key: string | number }[] = [];
  const walk = (node: unknown, parent: any, key: string | number): void => {
    nodes.push({ parent, key });
    if (node !== null && typeof node === 'object') {
      for (const [k, child] of Object.entries(node))
        walk(child, node, Array.isArray(node) ? Number(k) : k);
    }
  };
  const root = { value: structuredClone(value) };
  walk(root.value, root, 'value');
  const target = nodes[n % nodes.length];
  target.parent[target.key] = junk;
  return root.value;
}
