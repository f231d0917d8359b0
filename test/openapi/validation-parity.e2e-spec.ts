import { getMetadataStorage } from 'class-validator';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app';

/** The part of class-validator's (unexported) ValidationMetadata read here. */
interface Metadata {
  type: string;
  name?: string;
  propertyName: string;
  constraints?: unknown[];
  each?: boolean;
}

interface Storage {
  getTargetValidationMetadatas(
    target: new () => object,
    schema: string,
    always: boolean,
    strictGroups: boolean,
  ): Metadata[];
  validationMetadatas: Map<new () => object, Metadata[]>;
}

/** Constraints no JSON Schema keyword states; each must be told in the property's description. */
const DESCRIBED_ONLY: Record<string, RegExp> = {
  isPersonalisedText: /\{\{contact\.firstName\}\}/,
  hasNoPlaceholders: /placeholder/i,
  belongsToAnswerType: /answerType/,
};

/** Bookkeeping of class-validator that states nothing about a value. */
const NOT_CONSTRAINTS = new Set([
  'nestedValidation',
  'conditionalValidation',
  'isOptional',
  'whitelistValidation',
  'isDefined',
]);

type Schema = Record<string, any>;

/**
 * What the schema of one property must say for one validation constraint, as [keyword, value]
 * pairs; an unknown constraint fails the test until it is taught here.
 */
function expected(metadata: Metadata): [string, unknown][] | 'described' | 'unknown' {
  const c = metadata.constraints ?? [];
  switch (metadata.name ?? metadata.type) {
    case 'isString':
      return [['type', 'string']];
    case 'isBoolean':
      return [['type', 'boolean']];
    case 'isInt':
      return [['type', 'integer']];
    case 'isArray':
      return [['type', 'array']];
    case 'isObject':
      return [['type', 'object']];
    case 'isNumber':
      return [['type', 'number']];
    case 'isDateString':
    case 'isIso8601':
      return [['format', 'date-time']];
    case 'isUrl':
      return [['format', 'uri']];
    case 'isEmail':
      return [['format', 'email']];
    case 'isEnum':
      return [['enum', Object.values(c[0] as object).sort()]];
    case 'isUuid':
      return [['format', 'uuid']];
    case 'isHttpUrl':
      return [['format', 'uri']];
    case 'isIn':
      return [['enum', [...(c[0] as unknown[])].sort()]];
    case 'matches':
      return [['pattern', (c[0] as RegExp).source]];
    case 'min':
      return [['minimum', c[0]]];
    case 'max':
      return [['maximum', c[0]]];
    case 'maxLength':
      return [['maxLength', c[0]]];
    case 'minLength':
      return [['minLength', c[0]]];
    case 'isLength':
      return [
        ['minLength', c[0]],
        ['maxLength', c[1]],
      ];
    case 'charLength':
      return [
        ...(Number(c[0]) > 0 ? ([['minLength', c[0]]] as [string, unknown][]) : []),
        ['maxLength', c[1]],
      ];
    case 'arrayMinSize':
      return [['minItems', c[0]]];
    case 'arrayMaxSize':
      return [['maxItems', c[0]]];
    default:
      return metadata.name && DESCRIBED_ONLY[metadata.name] ? 'described' : 'unknown';
  }
}

/** The property's schema with `$ref`/`allOf` to an object and nullable wrappers looked through. */
function keywordOf(schema: Schema, keyword: string): unknown {
  if (keyword === 'type' && (schema.$ref || schema.allOf || schema.oneOf || schema.anyOf))
    return schema.type ?? 'object';
  const value = schema[keyword];
  if (keyword === 'enum' && Array.isArray(value)) return [...value].sort();
  return value;
}

describe('OpenAPI states what validation enforces', () => {
  let t: TestApp;
  let document: Schema;

  beforeAll(async () => {
    t = await startTestApp();
    document = (await t.http.get('/docs-json')).body;
    // Every DTO of the app, so that its metadata is registered even if no route loaded it yet.
    const root = join(__dirname, '../../src');
    for (const file of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
      if (/(^|\/)dto\/[^/]+(?<!\.spec)\.ts$/.test(file)) await import(join(root, file));
    }
  });
  afterAll(() => t.close());

  /** Each validated property of each DTO with its schema in the served document. */
  function pairs(): [string, Metadata[], Schema, boolean][] {
    const storage = getMetadataStorage() as unknown as Storage;
    const schemas = document.components.schemas as Record<string, Schema>;
    const queryParameters = Object.values<Schema>(document.paths).flatMap((item) =>
      Object.values<Schema>(item).flatMap((operation) =>
        (operation.parameters ?? []).filter((p: Schema) => p.in === 'query'),
      ),
    );
    const found: [string, Metadata[], Schema, boolean][] = [];
    for (const target of new Set(storage.validationMetadatas.keys())) {
      const all = storage.getTargetValidationMetadatas(target, '', true, false);
      const byProperty = new Map<string, Metadata[]>();
      for (const m of all)
        byProperty.set(m.propertyName, [...(byProperty.get(m.propertyName) ?? []), m]);
      const component = schemas[target.name];
      for (const [property, metadatas] of byProperty) {
        if (component) {
          const schema = component.properties?.[property];
          const required = (component.required ?? []).includes(property);
          found.push([`${target.name}.${property}`, metadatas, schema, required]);
        } else if (target.name.endsWith('QueryDto')) {
          for (const parameter of queryParameters.filter((p) => p.name === property)) {
            found.push([
              `${target.name}.${property} (query)`,
              metadatas,
              parameter.schema,
              parameter.required === true,
            ]);
          }
        }
      }
    }
    return found;
  }

  /** What the schema fails to say of the validation of one DTO property. */
  function problemsOf(
    where: string,
    metadatas: Metadata[],
    schema: Schema,
    required: boolean,
  ): string[] {
    const own: string[] = [];
    if (!schema) return [`${where}: not in the document`];
    const optional = metadatas.some(
      (m) => m.type === 'isOptional' || m.type === 'conditionalValidation',
    );
    if (required === optional) own.push(`${where}: required is ${required}`);
    for (const metadata of metadatas) {
      if (NOT_CONSTRAINTS.has(metadata.name ?? metadata.type)) continue;
      const wants = expected(metadata);
      const target = metadata.each ? (schema.items ?? {}) : schema;
      if (wants === 'unknown') {
        own.push(`${where}: no OpenAPI keyword known for ${metadata.name ?? metadata.type}`);
        continue;
      }
      if (wants === 'described') {
        if (!DESCRIBED_ONLY[metadata.name!].test(schema.description ?? ''))
          own.push(`${where}: description does not state ${metadata.name}`);
        continue;
      }
      for (const [keyword, value] of wants) {
        const actual = keywordOf(target, keyword);
        if (JSON.stringify(actual) !== JSON.stringify(value)) {
          own.push(
            `${where}${metadata.each ? '[]' : ''}: ${keyword} is ${JSON.stringify(actual)}, validation enforces ${JSON.stringify(value)}`,
          );
        }
      }
    }
    return own;
  }

  it('documents every constraint of every DTO property, its items and whether it is required', () => {
    const problems: string[] = [];
    const checked = pairs();
    expect(checked.length).toBeGreaterThan(60);
    // A query DTO's property is matched by name among every operation's query parameters: it must
    // agree with one of them (two DTOs may share a name, e.g. the QR code's and the CSV's `format`).
    const byWhere = new Map<string, string[][]>();
    for (const [where, metadatas, schema, required] of checked) {
      byWhere.set(where, [
        ...(byWhere.get(where) ?? []),
        problemsOf(where, metadatas, schema, required),
      ]);
    }
    for (const candidates of byWhere.values()) {
      if (candidates.some((own) => own.length === 0)) continue;
      problems.push(...candidates.reduce((a, b) => (a.length <= b.length ? a : b)));
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it('describes the bearer tokens as opaque, not JWT', () => {
    const schemes = document.components.securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.bearer.bearerFormat).not.toBe('JWT');
  });
});
