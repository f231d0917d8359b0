/**
 * The chat's delivery and read receipts, watermark style like Messenger's: "every bot message up
 * to this id was shown" (delivered) and "... was on screen with the chat visible" (read). Sent at
 * most once a second (a burst of messages costs one call), and only when the watermark moved; a
 * failed call is tried again at the next change. The server counts each answer once, so a repeat
 * is harmless.
 */
export type ReceiptKind = 'delivered' | 'read';

export class Receipts {
  private shownUpTo = 0n;
  private readUpTo = 0n;
  private sentDelivered = 0n;
  private sentRead = 0n;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly send: (kind: ReceiptKind, watermark: string) => Promise<unknown>,
    private readonly visible: () => boolean,
    private readonly delayMs = 1000,
  ) {}

  /** A bot message (by id) was put on screen. */
  shown(id: string): void {
    const value = BigInt(id);
    if (value > this.shownUpTo) this.shownUpTo = value;
    this.seen();
  }

  /** The chat may have become visible (tab shown, panel opened): what is shown counts as read. */
  seen(): void {
    if (this.visible()) this.readUpTo = this.shownUpTo;
    if (this.readUpTo > this.sentRead || this.shownUpTo > this.sentDelivered) this.schedule();
  }

  private schedule(): void {
    if (this.timer !== null) return;
    this.timer = setTimeout(() => void this.flush(), this.delayMs);
  }

  private async flush(): Promise<void> {
    this.timer = null;
    try {
      const read = this.readUpTo;
      if (read > this.sentRead) {
        await this.send('read', read.toString());
        this.sentRead = read;
        // A read implies delivery (the server counts it so).
        if (read > this.sentDelivered) this.sentDelivered = read;
      }
      const delivered = this.shownUpTo;
      if (delivered > this.sentDelivered) {
        await this.send('delivered', delivered.toString());
        this.sentDelivered = delivered;
      }
    } catch {
      // Tried again at the next message or visibility change.
    }
  }
}
