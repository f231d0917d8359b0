import { type GraphError, type GraphFailure, graphError } from './graph-error';

export type Action = 'pass_thread_control' | 'take_thread_control';

export const THREAD_CONTROL_PATH =
  /^\/v\d+(?:\.\d+)?\/me\/(pass_thread_control|take_thread_control)\/?$/;

/** A Handover Protocol call: `pass_thread_control` or `take_thread_control`. */
export interface ThreadControlRecord {
  at: number;
  action: Action;
  accessToken: string | undefined;
  body: any;
}

export interface FailedThreadControlRecord extends ThreadControlRecord {
  failure: GraphFailure;
}

/** What the fake Graph API answers a thread-control call with. */
export type ThreadControlAnswer = { status: number; body: unknown } | { networkError: true };

/**
 * The fake Graph API's Handover Protocol endpoints: records calls, answers `{"success":true}` as
 * Meta does, refuses a call without `recipient.id` (or a pass without `target_app_id`) as Meta
 * does, and fails on demand.
 */
export class FakeThreadControl {
  readonly calls: ThreadControlRecord[] = [];
  readonly failed: FailedThreadControlRecord[] = [];
  private readonly failures: GraphFailure[] = [];

  failNext(count: number, failure: GraphFailure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  async waitFor(count: number, timeoutMs: number): Promise<ThreadControlRecord[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < count) {
      if (Date.now() > deadline)
        throw new Error(
          `FakeGraphApi: expected ${count} thread-control calls within ${timeoutMs} ms, got ` +
            `${this.calls.length} (and ${this.failed.length} failed)`,
        );
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return [...this.calls];
  }

  reset(): void {
    this.calls.length = 0;
    this.failed.length = 0;
    this.failures.length = 0;
  }

  handle(
    raw: string,
    at: number,
    accessToken: string | undefined,
    action: Action,
  ): ThreadControlAnswer {
    let body: any = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as text.
    }
    const record: ThreadControlRecord = { at, action, accessToken, body };
    const failure = this.failures.shift();
    if (failure) {
      this.failed.push({ ...record, failure });
      return 'networkError' in failure
        ? failure
        : { status: failure.status, body: graphError(failure.error) };
    }
    const valid =
      typeof body === 'object' &&
      body !== null &&
      typeof body.recipient?.id === 'string' &&
      (action === 'take_thread_control' || typeof body.target_app_id === 'string');
    if (!valid) {
      const error: GraphError = {
        message: '(#100) The parameter recipient or target_app_id is required',
        type: 'OAuthException',
        code: 100,
      };
      this.failed.push({ ...record, failure: { status: 400, error } });
      return { status: 400, body: graphError(error) };
    }
    this.calls.push(record);
    return { status: 200, body: { success: true } };
  }
}
