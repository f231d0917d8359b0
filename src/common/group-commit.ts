interface Waiting<T, R> {
  items: T[];
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers submit items and wait for their own results, while items submitted during
 * a flush are written together by the next one. An idle system flushes at once (no added delay);
 * a busy one turns many small writes into few large ones.
 */
export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private flushing = false;

  /** `flush` returns one result per item, in the order given. */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxItems = 500,
  ) {}

  submit(items: T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    const result = new Promise<R[]>((resolve, reject) =>
      this.waiting.push({ items, resolve, reject }),
    );
    if (!this.flushing) void this.drain();
    return result;
  }

  private async drain(): Promise<void> {
    this.flushing = true;
    while (this.waiting.length > 0) {
      const batch: Waiting<T, R>[] = [];
      let count = 0;
      while (
        this.waiting.length > 0 &&
        (batch.length === 0 || count + this.waiting[0].items.length <= this.maxItems)
      ) {
        const next = this.waiting.shift()!;
        batch.push(next);
        count += next.items.length;
      }
      try {
        const results = await this.flush(batch.flatMap((entry) => entry.items));
        let offset = 0;
        for (const entry of batch) {
          entry.resolve(results.slice(offset, offset + entry.items.length));
          offset += entry.items.length;
        }
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.flushing = false;
  }
}
