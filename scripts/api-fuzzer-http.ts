/**
 * One request of the API fuzzer (scripts/api-fuzzer.ts) sent, and its answer judged: an error
 * answer must have the one error body and a request id.
 */

/** One generated request, ready to send. */
export interface FuzzRequest {
  method: string;
  path: string;
  query: string;
  token: string | undefined;
  principal: 'admin' | 'keyA' | 'keyB' | 'none' | 'bogus';
  botOwner: 'A' | 'B' | 'other';
  body?: string;
  contentType?: string;
  /** Header parameters of the operation (the widget session, Last-Event-ID). */
  headers: Record<string, string>;
}

const ERROR_KEYS = new Set(['statusCode', 'error', 'message', 'code', 'details']);

/** Null when an error answer has the one error body and a request id, else what is wrong. */
export function errorShapeProblem(status: number, headers: Headers, text: string): string | null {
  if (!(headers.get('content-type') ?? '').startsWith('application/json'))
    return `content-type ${headers.get('content-type')}`;
  if (!headers.get('x-request-id')) return 'no x-request-id';
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return 'not JSON';
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'not an object';
  const extra = Object.keys(body).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length > 0) return `extra keys ${extra.join(',')}`;
  if (body.statusCode !== status) return `statusCode ${String(body.statusCode)}`;
  if (typeof body.error !== 'string' || typeof body.message !== 'string')
    return 'error/message not strings';
  if (typeof body.code !== 'string' || !/^[A-Z][A-Z0-9_]*$/.test(body.code))
    return `code ${String(body.code)}`;
  return null;
}

export async function send(
  baseUrl: string,
  request: FuzzRequest,
): Promise<{ status: number; problem: string | null }> {
  const headers: Record<string, string> = { ...request.headers };
  if (request.token) headers.authorization = `Bearer ${request.token}`;
  if (request.contentType) headers['content-type'] = request.contentType;
  const response = await fetch(`${baseUrl}${request.path}${request.query}`, {
    method: request.method,
    headers,
    body: request.body,
    redirect: 'manual',
  });
  // A stream that was opened stays open: its status and headers are the answer.
  if ((response.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await response.body?.cancel();
    return { status: response.status, problem: null };
  }
  const text = await response.text();
  const problem =
    response.status >= 400 ? errorShapeProblem(response.status, response.headers, text) : null;
  return { status: response.status, problem: problem && `${problem}: ${text.slice(0, 200)}` };
}
