/** One Server-Sent Event as a stream gave it. */
export interface SseEvent {
  id: string | null;
  event: string;
  data: string;
}

/**
 * A Server-Sent Events reader over fetch (headers such as X-Widget-Session and Last-Event-ID can
 * be sent, unlike with EventSource). Collects events until `close()`.
 */
export class SseClient {
  readonly events: SseEvent[] = [];
  status = 0;
  private readonly controller = new AbortController();
  private done: Promise<void> = Promise.resolve();

  async open(url: string, headers: Record<string, string>): Promise<Response> {
    const response = await fetch(url, { headers, signal: this.controller.signal });
    this.status = response.status;
    if (response.ok && response.body) this.done = this.read(response.body);
    return response;
  }

  private async read(body: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of body) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          this.parse(buffer.slice(0, end));
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // Aborted by close().
    }
  }

  private parse(block: string): void {
    let id: string | null = null;
    let event = 'message';
    const data: string[] = [];
    for (const line of block.split('\n')) {
      if (line.startsWith('id: ')) id = line.slice(4);
      else if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('data: ')) data.push(line.slice(6));
    }
    if (data.length > 0) this.events.push({ id, event, data: data.join('\n') });
  }

  /** The `data` of each message event, parsed. */
  messages<T = any>(): T[] {
    return this.events.filter((e) => e.event === 'message').map((e) => JSON.parse(e.data) as T);
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.done;
  }
}
