import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type Socket } from 'node:net';
import {
  PERMANENT_FAILURE,
  type RandomFailures,
  readBody,
  seededRandom,
  TRANSIENT_FAILURES,
} from './fake-graph-support';
import { type GraphError, type GraphFailure, graphError } from './graph-error';
import {
  type Action,
  type FailedThreadControlRecord,
  FakeThreadControl,
  THREAD_CONTROL_PATH,
  type ThreadControlRecord,
} from './fake-thread-control';

import { FakeUserProfiles, type Profile, type ProfileRequest } from './fake-user-profile';

export { type FailedThreadControlRecord, type ThreadControlRecord } from './fake-thread-control';
export { type Profile, type ProfileRequest } from './fake-user-profile';
export { type GraphError, type GraphFailure } from './graph-error';

export interface GraphRecipient {
  id?: string;
  user_ref?: string;
  [key: string]: unknown;
}

export interface SendRecord {
  /** When the request body arrived, before any latency, so order matches the app's sends. */
  at: number;
  accessToken: string | undefined;
  /** The parsed JSON body, or the raw text when it was not JSON. */
  body: any;
  recipient: GraphRecipient | undefined;
  message: any;
  senderAction: string | undefined;
  messagingType: string | undefined;
  /** The `message_id` the fake answered with (successful sends only). */
  messageId?: string;
}

export interface FailedSendRecord extends SendRecord {
  failure: GraphFailure;
}

interface SendWaiter {
  count: number;
  resolve: (sends: SendRecord[]) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

// Any version segment Graph would route (v2.0 ... v21.0); an unversioned path is a bug in the caller.
const SEND_PATH = /^\/v\d+(?:\.\d+)?\/me\/messages\/?$/;
const NODE_PATH = /^\/v\d+(?:\.\d+)?\/([^/]+)\/?$/;
const CONVERSATIONS_PATH = /^\/v\d+(?:\.\d+)?\/me\/conversations\/?$/;

/**
 * A stand-in for graph.facebook.com on a loopback port: records what the app sends, answers like
 * Meta does, and fails on demand so retry and error paths can be tested without the network.
 */
export class FakeGraphApi {
  readonly sends: SendRecord[] = [];
  readonly failedSends: FailedSendRecord[] = [];
  /** The User Profile API (`GET /<psid>`), kept apart from sends. */
  readonly userProfiles = new FakeUserProfiles();
  /** Handover Protocol calls (pass / take thread control), kept apart from sends. */
  readonly threadControl = new FakeThreadControl();
  baseUrl = '';

  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly failures: GraphFailure[] = [];
  private readonly pending = new Set<NodeJS.Timeout>();
  private readonly waiters = new Set<SendWaiter>();
  private latencyMs = 0;
  /** While set (see `hold`), answers wait here instead of going out. */
  private held: (() => void)[] | undefined;
  private randomFailures: (RandomFailures & { random: () => number }) | undefined;
  // Never reset, so message ids stay unique for the whole run even across `reset()`.
  private messageCounter = 0;

  async start(): Promise<string> {
    if (this.server) return this.baseUrl;
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.baseUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    return this.baseUrl;
  }

  /** Closes the port and drops keep-alive connections; jest would otherwise wait on them. */
  async stop(): Promise<void> {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.reject(new Error('FakeGraphApi stopped while waiting for sends'));
    }
    this.waiters.clear();
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    await closed;
  }

  /** From now on, fails sends at random and for chosen recipients; `undefined` stops it. */
  failRandomly(options: RandomFailures | undefined): void {
    this.randomFailures = options && { ...options, random: seededRandom(options.seed) };
  }

  /** Queues `failure` for the next `count` send requests, after any already queued. */
  failNext(count: number, failure: GraphFailure): void {
    for (let i = 0; i < count; i++) this.failures.push(failure);
  }

  /** Successful Handover Protocol calls, in the order they arrived. */
  get threadControls(): ThreadControlRecord[] {
    return this.threadControl.calls;
  }

  get failedThreadControls(): FailedThreadControlRecord[] {
    return this.threadControl.failed;
  }

  /** Queues `failure` for the next `count` thread-control calls (pass or take). */
  failNextThreadControl(count: number, failure: GraphFailure): void {
    this.threadControl.failNext(count, failure);
  }

  /** Resolves once `count` thread-control calls succeeded. */
  waitForThreadControls(count: number, timeoutMs = 10_000): Promise<ThreadControlRecord[]> {
    return this.threadControl.waitFor(count, timeoutMs);
  }

  /** A stalled Graph API: requests arrive and are recorded, answered only once released. */
  hold(): () => void {
    const held: (() => void)[] = [];
    this.held = held;
    return () => {
      if (this.held === held) this.held = undefined;
      for (const action of held) action();
    };
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Latency of profile requests only (on top of `setLatency`): keeps inbound jobs in flight. */
  setProfileLatency(ms: number): void {
    this.userProfiles.latencyMs = ms;
  }

  setProfile(psid: string, profile: Profile): void {
    this.userProfiles.set(psid, profile);
  }

  /** While on, every profile request answers 500 (a transient Graph error). */
  failProfiles(on: boolean): void {
    this.userProfiles.fail(on);
  }

  /** Profile requests, in the order they arrived. */
  get profileRequests(): ProfileRequest[] {
    return this.userProfiles.requests;
  }

  sendsTo(psid: string): SendRecord[] {
    return this.sends.filter((s) => s.recipient?.id === psid || s.recipient?.user_ref === psid);
  }

  waitForSends(count: number, timeoutMs = 10_000): Promise<SendRecord[]> {
    if (this.sends.length >= count) return Promise.resolve([...this.sends]);
    return new Promise((resolve, reject) => {
      const waiter: SendWaiter = {
        count,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          reject(
            new Error(
              `FakeGraphApi: expected at least ${count} sends within ${timeoutMs} ms, got ` +
                `${this.sends.length} (and ${this.failedSends.length} failed attempts)`,
            ),
          );
        }, timeoutMs),
      };
      this.waiters.add(waiter);
    });
  }

  /** Forgets records, queued failures, profiles and latency; the server keeps running. */
  reset(): void {
    this.sends.length = 0;
    this.failedSends.length = 0;
    this.userProfiles.reset();
    this.threadControl.reset();
    this.failures.length = 0;
    this.latencyMs = 0;
    this.randomFailures = undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const accessToken = url.searchParams.get('access_token') ?? undefined;
    let raw: string;
    try {
      raw = await readBody(req);
    } catch {
      return;
    }
    const at = Date.now();

    if (req.method === 'POST' && SEND_PATH.test(url.pathname)) {
      this.handleSend(req, res, raw, at, accessToken);
      return;
    }
    if (req.method === 'GET' && CONVERSATIONS_PATH.test(url.pathname)) {
      this.handleConversations(res, url);
      return;
    }
    const control = THREAD_CONTROL_PATH.exec(url.pathname);
    if (req.method === 'POST' && control) {
      const outcome = this.threadControl.handle(raw, at, accessToken, control[1] as Action);
      if ('networkError' in outcome) this.later(() => req.socket.destroy());
      else this.answer(res, outcome.status, outcome.body);
      return;
    }
    const node = NODE_PATH.exec(url.pathname);
    if (req.method === 'GET' && node) {
      if (this.userProfiles.latencyMs > 0) await this.delay(this.userProfiles.latencyMs);
      const profile = this.userProfiles.handle(decodeURIComponent(node[1]), url, accessToken);
      this.answer(res, profile.status, profile.body);
      return;
    }
    this.answer(res, 404, { error: { message: 'Unknown path', code: 803 } });
  }

  private handleSend(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    at: number,
    accessToken: string | undefined,
  ): void {
    let body: any = raw;
    try {
      body = JSON.parse(raw);
    } catch {
      // Kept as text: a failed record should still show what the app sent.
    }
    const parsed = typeof body === 'object' && body !== null;
    const record: SendRecord = {
      at,
      accessToken,
      body,
      recipient: parsed ? body.recipient : undefined,
      message: parsed ? body.message : undefined,
      senderAction: parsed ? body.sender_action : undefined,
      messagingType: parsed ? body.messaging_type : undefined,
    };

    const failure = this.failures.shift() ?? this.randomFailure(record.recipient);
    if (failure) {
      this.failedSends.push({ ...record, failure });
      if ('networkError' in failure) this.later(() => req.socket.destroy());
      else this.answer(res, failure.status, graphError(failure.error));
      return;
    }

    // Meta rejects these too; answering 200 would hide a broken request in a passing test.
    // A marketing message names the person's notification_messages_token instead of their PSID.
    const recipientId = parsed
      ? (body.recipient?.id ??
        body.recipient?.user_ref ??
        body.recipient?.notification_messages_token)
      : undefined;
    if (recipientId === undefined) {
      const error: GraphError = {
        message: parsed
          ? '(#100) The parameter recipient is required'
          : '(#100) Request body is not valid JSON',
        type: 'OAuthException',
        code: 100,
      };
      this.failedSends.push({ ...record, failure: { status: 400, error } });
      this.answer(res, 400, graphError(error));
      return;
    }

    record.messageId = `m_${++this.messageCounter}`;
    this.sends.push(record);
    this.notifyWaiters();
    this.answer(res, 200, { recipient_id: recipientId, message_id: record.messageId });
  }

  private randomFailure(recipient: GraphRecipient | undefined): GraphFailure | undefined {
    const chaos = this.randomFailures;
    const id = recipient?.id ?? recipient?.user_ref;
    if (!chaos || id === undefined) return undefined;
    if (chaos.permanentFor?.(id)) return PERMANENT_FAILURE;
    if (chaos.random() >= chaos.transientRate) return undefined;
    return TRANSIENT_FAILURES[Math.floor(chaos.random() * TRANSIENT_FAILURES.length)];
  }

  /**
   * The Conversations API as a page sees it, `?user_id=` given: the one conversation with that
   * person and its 20 most recent messages (the page's sends; `created_time` to the second, as
   * Meta gives it), newest first, whatever `fields` asks for.
   */
  private handleConversations(res: ServerResponse, url: URL): void {
    const psid = url.searchParams.get('user_id');
    if (!psid) {
      this.answer(res, 400, graphError({ message: '(#100) user_id is required', code: 100 }));
      return;
    }
    const messages = this.sendsTo(psid)
      .slice(-20)
      .reverse()
      .map((send) => ({
        id: send.messageId,
        message: send.message?.text ?? '',
        created_time: new Date(Math.floor(send.at / 1000) * 1000)
          .toISOString()
          .replace(/\.\d{3}Z$/, '+0000'),
        from: { id: 'page' },
      }));
    this.answer(res, 200, {
      data: messages.length > 0 ? [{ id: `t_${psid}`, messages: { data: messages } }] : [],
    });
  }

  private answer(res: ServerResponse, status: number, body: unknown): void {
    this.later(() => {
      if (res.destroyed) return;
      const text = JSON.stringify(body);
      res.writeHead(status, {
        'content-type': 'application/json; charset=UTF-8',
        'content-length': Buffer.byteLength(text),
      });
      res.end(text);
    });
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        resolve();
      }, ms);
      this.pending.add(timer);
    });
  }

  private later(action: () => void): void {
    if (this.held) {
      this.held.push(() => this.later(action));
      return;
    }
    if (this.latencyMs <= 0) {
      action();
      return;
    }
    const timer = setTimeout(() => {
      this.pending.delete(timer);
      action();
    }, this.latencyMs);
    this.pending.add(timer);
  }

  private notifyWaiters(): void {
    for (const waiter of this.waiters) {
      if (this.sends.length < waiter.count) continue;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve([...this.sends]);
    }
  }
}

export type { RandomFailures } from './fake-graph-support';
