import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppError, type FieldIssue } from '../errors';

const NUL = '\u0000';
const NUL_MESSAGE = 'must not contain NUL (\\u0000) characters';
const MANAGEMENT_API = /^\/api\/v1(?:\/|$)/;

function join(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * Paths (`content.messages[0].text`) of every string holding NUL, and of every property whose name
 * holds one; a bare string is `body`. Iterative, so a deeply nested body cannot overflow the stack.
 */
export function nulPaths(value: unknown): string[] {
  const found: string[] = [];
  const pending: [unknown, string][] = [[value, '']];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (item.includes(NUL)) found.push(path || 'body');
    } else if (Array.isArray(item)) {
      item.forEach((child, index) => pending.push([child, join(path, index)]));
    } else if (item !== null && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (key.includes(NUL)) found.push(join(path, key.replaceAll(NUL, '\\u0000')));
        else pending.push([child, join(path, key)]);
      }
    }
  }
  return found.sort();
}

function nulError(paths: string[]): AppError {
  const issues: FieldIssue[] = paths.map((field) => ({ field, messages: [NUL_MESSAGE] }));
  const more = paths.length > 1 ? ` (and ${paths.length - 1} more)` : '';
  return AppError.validation(issues, `${paths[0]}: ${NUL_MESSAGE}${more}`);
}

/**
 * Postgres cannot store NUL in text or jsonb and fails the whole query, so the management API
 * refuses it up front, for every route at once: 400 VALIDATION_FAILED naming each field. The
 * Messenger webhook is left out: what it does with NUL is its own decision.
 */
export function rejectNulOnManagementApi(app: NestFastifyApplication): void {
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('preValidation', (request, _reply, done) => {
      if (!MANAGEMENT_API.test(request.routeOptions.url ?? '')) {
        done();
        return;
      }
      const paths = [...nulPaths(request.query), ...nulPaths(request.body)];
      done(paths.length > 0 ? nulError(paths) : undefined);
    });
}
