interface Waiting<T, R> {
  items: T[];
  resolve: (results: R[]) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: callers submit items and wait for their own results, while items submitted while
 * `parallel` flushes are running are written together by the next one. An idle system flushes at
 * once (no added delay); a busy one turns many small writes into few large ones.
 */
export class GroupCommit<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private running = 0;

  /** `flush` returns one result per item, in the order given. */
  constructor(
    private readonly flush: (items: T[]) => Promise<R[]>,
    private readonly maxItems = 500,
    private readonly parallel = 1,
  ) {}

  submit(items: T[]): Promise<R[]> {
    if (items.length === 0) return Promise.resolve([]);
    const result = new Promise<R[]>((resolve, reject) =>
      this.waiting.push({ items, resolve, reject }),
    );
    this.pump();
    return result;
  }

  private pump(): void {
    while (this.running < this.parallel && this.waiting.length > 0) {
      this.running++;
      void this.run(this.takeBatch()).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private takeBatch(): Waiting<T, R>[] {
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
    return batch;
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
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
}
