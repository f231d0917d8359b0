import fc from 'fast-check';

/**
 * Drives every operation of an OpenAPI document with generated requests and sorts the answers.
 * Shared by `npm run fuzz` (scripts/fuzz-api.ts) and its smaller run in `npm test`
 * (test/openapi/fuzz.e2e-spec.ts). Operations are discovered from /docs-json, so a new route is
 * fuzzed without being listed anywhere.
 */

import {
  arbitraryOf,
  deepBody,
  headersOf,
  JUNK,
  replaceNode,
  type Schema,
  UUID_JUNK,
} from './api-fuzzer-values';
import { type Tenant } from './api-fuzzer-tenants';
import { type FuzzRequest, send } from './api-fuzzer-http';

export { makeTenantsThroughApi, type Tenant } from './api-fuzzer-tenants';

/**
 * The widget rate limits of an app under fuzz: every request comes from one address, and a 429
 * would stand in front of the Chat API's validation (the limiter has tests of its own).
 */
export const FUZZ_WIDGET_RATES = {
  WIDGET_RATE_PER_IP_PER_MINUTE: '1000000',
  WIDGET_RATE_PER_SESSION_PER_MINUTE: '1000000',
};

export interface FuzzOptions {
  baseUrl: string;
  adminToken: string;
  /** Two bot tenants; made again before each operation, since a fuzzed DELETE may remove them. */
  makeTenants: () => Promise<[Tenant, Tenant]>;
  runsPerOperation: number;
  seed: number;
  concurrency?: number;
  /** Told each operation as its turn comes (progress lines). */
  onOperation?: (operation: string) => void;
}

export interface OperationStats {
  operation: string;
  requests: number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  wrongShape: number;
  /** A bot key answered 2xx on another tenant's bot. */
  crossTenant: number;
  /** Up to three failing requests, to reproduce. */
  examples: string[];
}

interface Operation {
  method: string;
  path: string;
  operation: Schema;
}

function operationsOf(document: Schema): Operation[] {
  const found: Operation[] = [];
  for (const [path, item] of Object.entries<Schema>(document.paths)) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete']) {
      if (item[method]) found.push({ method: method.toUpperCase(), path, operation: item[method] });
    }
  }
  return found;
}

/** The generated requests of one operation, for the tenants as they are now. */
function requestsOf(
  document: Schema,
  { method, path, operation }: Operation,
  tenants: [Tenant, Tenant],
  adminToken: string,
): fc.Arbitrary<FuzzRequest> {
  const [a, b] = tenants;
  const principal = fc.constantFrom<FuzzRequest['principal']>(
    'admin',
    'admin',
    'keyA',
    'keyA',
    'keyB',
    'none',
    'bogus',
  );
  const botOwner = fc.constantFrom<FuzzRequest['botOwner']>('A', 'A', 'A', 'B', 'other');
  const parameters = (operation.parameters ?? []) as Schema[];
  const pathNames = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
  const pathValues = fc.tuple(
    ...pathNames.map((name) =>
      fc
        .oneof(
          { weight: 6, arbitrary: fc.constant('own') },
          { weight: 1, arbitrary: fc.constant('foreign') },
          { weight: 1, arbitrary: fc.uuid() },
          { weight: 1, arbitrary: UUID_JUNK },
        )
        .map((choice) => [name, choice] as const),
    ),
  );
  const query = fc.tuple(
    ...parameters
      .filter((p) => p.in === 'query')
      .map((p) =>
        fc
          .oneof(
            {
              weight: 3,
              arbitrary: arbitraryOf(document, p.schema).map((v) =>
                v === null || v === undefined ? undefined : v,
              ),
            },
            { weight: 4, arbitrary: fc.constant(undefined) },
            { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 30 }) },
            {
              weight: 1,
              arbitrary: fc.array(fc.string({ maxLength: 5 }), { minLength: 2, maxLength: 3 }),
            },
          )
          .map((value) => [p.name as string, value] as const),
      ),
  );
  const headerValues = headersOf(
    document,
    parameters.filter((p) => p.in === 'header'),
  );
  const bodySchema = operation.requestBody?.content?.['application/json']?.schema as
    Schema | undefined;
  const valid = bodySchema ? arbitraryOf(document, bodySchema, 0, a.ids) : fc.constant(undefined);
  const body: fc.Arbitrary<{ body?: string; contentType?: string }> = bodySchema
    ? fc.oneof(
        { weight: 6, arbitrary: valid.map((v) => ({ body: JSON.stringify(v) })) },
        {
          weight: 3,
          arbitrary: fc
            .tuple(valid, fc.nat(), JUNK)
            .map(([v, n, junk]) => ({ body: JSON.stringify(replaceNode(v, n, junk)) })),
        },
        {
          weight: 1,
          arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ body: JSON.stringify(v) })),
        },
        { weight: 1, arbitrary: deepBody.map((raw) => ({ body: raw })) },
        { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((raw) => ({ body: raw })) },
        {
          weight: 1,
          arbitrary: fc
            .constantFrom(
              'text/plain',
              'application/x-www-form-urlencoded',
              'application/json; charset=latin1',
              'multipart/form-data',
            )
            .chain((type) => valid.map((v) => ({ body: JSON.stringify(v), contentType: type }))),
        },
      )
    : method === 'GET'
      ? fc.constant({})
      : fc.oneof(
          { weight: 9, arbitrary: fc.constant({}) },
          {
            weight: 1,
            arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ body: JSON.stringify(v) })),
          },
        );

  return fc
    .record({ principal, botOwner, pathValues, query, body, headerValues })
    .map(
      ({
        principal: who,
        botOwner: owner,
        pathValues: values,
        query: pairs,
        body: sent,
        headerValues: named,
      }) => {
        const own = owner === 'B' ? b : a;
        const other = owner === 'B' ? a : b;
        let filled = path;
        let actualOwner: FuzzRequest['botOwner'] = 'other';
        for (const [name, choice] of values) {
          let value: string;
          if (choice === 'own')
            value =
              name === 'botId'
                ? owner === 'other'
                  ? '00000000-0000-4000-8000-00000000000b'
                  : own.botId
                : (own.ids[name] ?? '00000000-0000-4000-8000-000000000001');
          else if (choice === 'foreign')
            value =
              name === 'botId'
                ? other.botId
                : (other.ids[name] ?? '00000000-0000-4000-8000-000000000002');
          else value = choice;
          if (name === 'botId')
            actualOwner = value === a.botId ? 'A' : value === b.botId ? 'B' : 'other';
          filled = filled.replace(`{${name}}`, encodeURIComponent(value));
        }
        const search = new URLSearchParams();
        for (const [name, value] of pairs) {
          if (value === undefined) continue;
          for (const item of Array.isArray(value) ? value : [value])
            search.append(name, typeof item === 'string' ? item : JSON.stringify(item));
        }
        const token = {
          admin: adminToken,
          keyA: a.key,
          keyB: b.key,
          none: undefined,
          bogus: 'bpk_0000000000000000',
        }[who];
        const headers: Record<string, string> = {};
        for (const [name, value] of named) {
          if (value === undefined) continue;
          const text =
            typeof value === 'string'
              ? value
              : value.session === 'own'
                ? own.widgetSession
                : other.widgetSession;
          // What fetch can send: printable ASCII, no line breaks.
          headers[name] = text.replace(/[^\x20-\x7e]/g, '?');
        }
        return {
          method,
          path: filled,
          headers,
          query: search.size > 0 ? `?${search.toString()}` : '',
          token,
          principal: who,
          botOwner: actualOwner,
          ...(sent.body !== undefined
            ? { body: sent.body, contentType: sent.contentType ?? 'application/json' }
            : {}),
        };
      },
    );
}

function describe(request: FuzzRequest, status: number, problem: string | null): string {
  const body = request.body ? ` body=${request.body.slice(0, 300)}` : '';
  return `${status} ${request.principal} ${request.method} ${request.path}${request.query}${body}${problem ? ` -> ${problem}` : ''}`;
}

/** Runs `runsPerOperation` requests against every operation of the document; one row each. */
export async function fuzzApi(options: FuzzOptions): Promise<OperationStats[]> {
  const document = (await (await fetch(`${options.baseUrl}/docs-json`)).json()) as Schema;
  const concurrency = options.concurrency ?? 8;
  const rows: OperationStats[] = [];
  for (const [index, operation] of operationsOf(document).entries()) {
    options.onOperation?.(`${operation.method} ${operation.path}`);
    const tenants = await options.makeTenants();
    const requests = fc.sample(requestsOf(document, operation, tenants, options.adminToken), {
      seed: options.seed + index,
      numRuns: options.runsPerOperation,
    });
    const row: OperationStats = {
      operation: `${operation.method} ${operation.path}`,
      requests: 0,
      '2xx': 0,
      '3xx': 0,
      '4xx': 0,
      '5xx': 0,
      wrongShape: 0,
      crossTenant: 0,
      examples: [],
    };
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < requests.length) {
        const request = requests[next++];
        const { status, problem } = await send(options.baseUrl, request);
        row.requests += 1;
        const klass = `${Math.floor(status / 100)}xx` as '2xx' | '3xx' | '4xx' | '5xx';
        if (klass in row) row[klass] += 1;
        const crossTenant =
          status < 300 &&
          ((request.principal === 'keyA' && request.botOwner === 'B') ||
            (request.principal === 'keyB' && request.botOwner === 'A'));
        if (problem) row.wrongShape += 1;
        if (crossTenant) row.crossTenant += 1;
        if ((status >= 500 || problem || crossTenant) && row.examples.length < 3)
          row.examples.push(describe(request, status, problem));
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    rows.push(row);
  }
  return rows;
}

/** The table `npm run fuzz` prints. */
export function formatStats(rows: OperationStats[]): string {
  const header = [
    'operation',
    'requests',
    '2xx',
    '3xx',
    '4xx',
    '5xx',
    'wrong-shape',
    'cross-tenant',
  ];
  const width = Math.max(...rows.map((r) => r.operation.length), 9);
  const line = (cells: (string | number)[]): string =>
    cells
      .map((c, i) =>
        i === 0 ? String(c).padEnd(width) : String(c).padStart(i === 6 ? 11 : i === 7 ? 12 : 8),
      )
      .join(' ');
  const total = (key: keyof OperationStats): number =>
    rows.reduce((sum, r) => sum + (r[key] as number), 0);
  return [
    line(header),
    ...rows.map((r) =>
      line([
        r.operation,
        r.requests,
        r['2xx'],
        r['3xx'],
        r['4xx'],
        r['5xx'],
        r.wrongShape,
        r.crossTenant,
      ]),
    ),
    line([
      'total',
      total('requests'),
      total('2xx'),
      total('3xx'),
      total('4xx'),
      total('5xx'),
      total('wrongShape'),
      total('crossTenant'),
    ]),
    ...rows.flatMap((r) => r.examples.map((e) => `  ${r.operation}: ${e}`)),
  ].join('\n');
}
