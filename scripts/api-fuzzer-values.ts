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

/** Properties holding ids under another name: a broadcast's audience lists segments. */
const ID_ALIASES: Record<string, string> = {
  include: 'segmentId',
  intersect: 'segmentId',
  exclude: 'segmentId',
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
  // Deep enough for a button of a message in a broadcast's content (each $ref, oneOf and array
  // is a step); a recursive schema still ends.
  if (depth > 16) return fc.constant(null);
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
      const kind = ID_ALIASES[name] ?? name;
      const id = Object.entries(known).find(([key]) =>
        kind.toLowerCase().endsWith(key.toLowerCase()),
      )?.[1];
      // Else any id of this tenant's now and then (a segment in a broadcast's audience).
      const anyId = Object.values(known).filter((v) => UUID.test(v));
      if (schema.format === 'uuid')
        return wrap(
          id
            ? fc.oneof(fc.constant(id), fc.constant(id), fc.uuid())
            : anyId.length
              ? fc.oneof(fc.constantFrom(...anyId), fc.uuid())
              : fc.uuid(),
        );
      if (schema.format === 'uri') return wrap(fc.webUrl());
      if (schema.format === 'date-time')
        // Years of four digits: fc.date's full range gives `+275760-...`, which no API takes.
        return wrap(
          fc
            .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
            .map((d) => d.toISOString()),
        );
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
        fc.array(arbitraryOf(document, schema.items, depth + 1, known, name), {
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

/** A header parameter's value: a widget session of a tenant (`own` or `foreign`), or a string. */
export type HeaderValue = { session: 'own' | 'foreign' } | string | undefined;

/**
 * Values of an operation's header parameters: for a session header mostly the session of the
 * tenant whose widget key is in the path (so calls get past the token check), the other tenant's
 * now and then; for any header what its schema admits, junk, or none.
 */
export function headersOf(
  document: Schema,
  parameters: Schema[],
): fc.Arbitrary<(readonly [string, HeaderValue])[]> {
  return fc.tuple(
    ...parameters.map((p) => {
      const session = /session/i.test(p.name as string) ? 1 : 0;
      return fc
        .oneof(
          { weight: 6 * session, arbitrary: fc.constant<HeaderValue>({ session: 'own' }) },
          { weight: session, arbitrary: fc.constant<HeaderValue>({ session: 'foreign' }) },
          { weight: 2, arbitrary: arbitraryOf(document, p.schema).map((v) => String(v)) },
          { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
          { weight: 2, arbitrary: fc.constant<HeaderValue>(undefined) },
        )
        .map((value) => [p.name as string, value] as const);
    }),
  );
}
