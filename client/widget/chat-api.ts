/**
 * The browser side of the Chat API, shared by the hosted page and (through its iframe) widget.js:
 * the session token kept in localStorage, calls with X-Widget-Session, and the bot's messages read
 * from the SSE stream (fetch, so headers can be sent), resumed after the last event id, falling back
 * to polling with the cursor when streaming keeps failing.
 */
export interface ShownMessage {
  id: string;
  message: { type: string; [field: string]: unknown };
}

function storage(): Storage | null {
  try {
    return window.localStorage;
  } catch {
    return null;
  }
}

export class ChatApi {
  private token: string | null;
  private cursor = '0';
  private readonly storageKey: string;

  constructor(
    private readonly base: string,
    private readonly widgetKey: string,
  ) {
    this.storageKey = `bp-widget:${widgetKey}`;
    this.token = storage()?.getItem(this.storageKey) ?? null;
  }

  private async call(method: string, path: string, body?: unknown): Promise<any> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers['x-widget-session'] = this.token;
    const response = await fetch(`${this.base}/api/v1/widget/${this.widgetKey}${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer: any = await response.json().catch(() => null);
    if (!response.ok) throw new Error(answer?.message ?? `HTTP ${response.status}`);
    return answer;
  }

  /** Starts or resumes the session; a new visitor sees the bot's messages from the start. */
  async start(ref: string | null, pageUrl: string): Promise<void> {
    const session = await this.call('POST', '/sessions', {
      ...(this.token && { token: this.token }),
      ...(ref && { ref }),
      pageUrl,
    });
    this.token = session.token;
    storage()?.setItem(this.storageKey, session.token);
    this.cursor = session.created ? '0' : session.cursor;
  }

  referral(ref: string, pageUrl: string): Promise<unknown> {
    return this.call('POST', '/referral', { ref, pageUrl });
  }

  send(type: 'text' | 'quickReply' | 'postback', text: string, payload?: string): Promise<unknown> {
    return this.call('POST', '/messages', { type, text, ...(payload && { payload }) });
  }

  identify(fields: {
    firstName?: string;
    lastName?: string;
    externalId?: string;
  }): Promise<unknown> {
    return this.call('POST', '/identify', fields);
  }

  /** A delivery or read receipt: every bot message up to `watermark` (a message id). */
  receipt(kind: 'delivered' | 'read', watermark: string): Promise<unknown> {
    return this.call('POST', '/receipts', { kind, watermark });
  }

  /** Calls `onMessage` with each message after the cursor, forever; reconnects and falls back. */
  async listen(onMessage: (message: ShownMessage) => void): Promise<void> {
    let failures = 0;
    for (;;) {
      try {
        if (failures < 3) await this.stream(onMessage);
        else await this.poll(onMessage);
        failures = 0;
      } catch {
        failures += 1;
      }
      await new Promise((resolve) => setTimeout(resolve, failures > 0 ? 2000 : 200));
    }
  }

  private deliver(message: ShownMessage, onMessage: (message: ShownMessage) => void): void {
    if (BigInt(message.id) <= BigInt(this.cursor)) return;
    this.cursor = message.id;
    onMessage(message);
  }

  private async stream(onMessage: (message: ShownMessage) => void): Promise<void> {
    const response = await fetch(`${this.base}/api/v1/widget/${this.widgetKey}/stream`, {
      headers: { 'x-widget-session': this.token ?? '', 'last-event-id': this.cursor },
    });
    if (!response.ok || !response.body) throw new Error(`stream: HTTP ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const data = buffer
          .slice(0, end)
          .split('\n')
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        buffer = buffer.slice(end + 2);
        if (data) this.deliver(JSON.parse(data) as ShownMessage, onMessage);
        end = buffer.indexOf('\n\n');
      }
    }
  }

  private async poll(onMessage: (message: ShownMessage) => void): Promise<void> {
    const page = await this.call('GET', `/messages?after=${this.cursor}`);
    for (const message of page.messages as ShownMessage[]) this.deliver(message, onMessage);
  }
}
