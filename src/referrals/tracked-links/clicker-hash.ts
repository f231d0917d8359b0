import { createHmac } from 'node:crypto';

/**
 * Who clicked, without keeping who: 16 bytes of HMAC-SHA256 over (IP, User-Agent) under a key
 * derived from the secret and the UTC day. The same person on the same day hashes alike (unique
 * clicks); across days, or without the secret, hashes cannot be linked or reversed by trying
 * addresses, and no raw IP is stored anywhere.
 */
export class ClickerHash {
  private day = '';
  private dayKey = Buffer.alloc(0);

  constructor(private readonly secret: Buffer) {}

  /** The clicker of a request at `at`; `ip` as Fastify resolved it (TRUST_PROXY decides). */
  of(ip: string, userAgent: string, at: Date): Buffer {
    const day = at.toISOString().slice(0, 10);
    if (day !== this.day) {
      this.dayKey = createHmac('sha256', this.secret).update(`clicker:${day}`).digest();
      this.day = day;
    }
    return createHmac('sha256', this.dayKey)
      .update(ip)
      .update('\n')
      .update(userAgent)
      .digest()
      .subarray(0, 16);
  }
}
