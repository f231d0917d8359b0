import { type BeforeApplicationShutdown, Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { type ClickTarget } from '../entities/referral-click.entity';
import { RollupDeltas } from '../stats';
import { findActiveReferral } from '../referrals.repository';
import { claimClickBatch, insertClicks, insertFirstClickers } from './clicks.repository';

/** One request to a tracked link, as buffered before it is written. */
export interface Click {
  botId: string;
  /** Null for an unknown or inactive param. */
  referralId: string | null;
  /**
   * The redirect could not look the param up in time (Postgres slow or away): the batch writer
   * resolves it, so the click still counts for its referral.
   */
  unresolved?: boolean;
  trackingParam: string;
  clickedAt: Date;
  clicker: Buffer;
  isBot: boolean;
  target: ClickTarget;
}

/** Clicks written together, under an id that makes a retried write idempotent. */
interface Batch {
  id: string;
  clicks: Click[];
}

/** Clicks written per statement at most. */
const BATCH_MAX = 1000;
/** How long a click waits for others to share its write. */
const FLUSH_EVERY_MS = 100;
/** Longest wait between attempts while Postgres keeps failing. */
const MAX_BACKOFF_MS = 5000;
/** Clicks kept in memory at most while Postgres is away; older ones beyond this are lost. */
const MAX_BUFFERED = 200_000;
/** How long shutdown waits for the buffer to drain. */
const SHUTDOWN_DRAIN_MS = 5000;

/**
 * SQLSTATEs a retry can cure: connection (08), insufficient resources (53), operator intervention
 * such as a restart (57), transaction rollback such as a deadlock (40), and a foreign key broken by
 * a bot deleted meanwhile (23503: the retry's joins leave its clicks out). Any other failure would
 * fail the same batch forever.
 */
const TRANSIENT_SQLSTATE = /^(08|53|57|40|23503)/;

function isTransient(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code) || TRANSIENT_SQLSTATE.test(code);
}

/**
 * Buffers tracked-link clicks in memory and writes them in batches: one multi-row insert of the
 * raw clicks, the first-seen clickers and the rollups per batch, in one transaction. A redirect
 * never waits for Postgres; while Postgres is away the buffer keeps up to MAX_BUFFERED clicks and
 * retries with backoff. What cannot be kept (buffer full, a batch Postgres refuses for good, the
 * buffer at shutdown) is counted in `lost` and logged.
 */
@Injectable()
export class ClickRecorder implements BeforeApplicationShutdown {
  private readonly logger = new Logger(ClickRecorder.name);
  private buffer: Click[] = [];
  /** Batches whose write failed, oldest first, retried whole under their id. */
  private retries: Batch[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private backoffMs = 0;
  private closed = false;
  /** Clicks written so far, and clicks that could not be kept. */
  readonly counts = { written: 0, lost: 0 };

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Buffers a click; returns at once. */
  record(click: Click): void {
    this.buffer.push(click);
    this.bound();
    this.schedule(this.buffer.length >= BATCH_MAX ? 0 : FLUSH_EVERY_MS);
  }

  /** Clicks waiting to be written. */
  get pending(): number {
    return this.buffer.length + this.retries.reduce((n, batch) => n + batch.clicks.length, 0);
  }

  /** Writes everything buffered now (tests, shutdown); resolves when all is written or a write failed. */
  async flush(): Promise<void> {
    while (this.pending > 0 || this.running) {
      if (this.running) {
        await this.running;
        continue;
      }
      const before = this.pending;
      await this.runOnce();
      if (this.pending >= before) return;
    }
  }

  /** Drains the buffer before any module, the database connection included, starts closing. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const deadline = Date.now() + SHUTDOWN_DRAIN_MS;
    while (this.pending > 0 && Date.now() < deadline) {
      const before = this.pending;
      await this.flush();
      if (this.pending >= before) break;
    }
    if (this.pending > 0) this.lose(this.pending, 'the process stopped first');
    this.buffer = [];
    this.retries = [];
  }

  private schedule(delayMs: number): void {
    if (this.closed || this.running) return;
    const wait = Math.max(delayMs, this.backoffMs);
    if (this.timer && wait > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce().then(() => {
        if (this.pending > 0) this.schedule(this.buffer.length >= BATCH_MAX ? 0 : FLUSH_EVERY_MS);
      });
    }, wait);
    this.timer.unref();
  }

  private runOnce(): Promise<void> {
    this.running ??= this.writeBatch().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  /** Drops the oldest clicks beyond MAX_BUFFERED, whole failed batches first. */
  private bound(): void {
    let over = this.pending - MAX_BUFFERED;
    if (over <= 0) return;
    const lost = over;
    while (over > 0 && this.retries.length > 0) over -= this.retries.shift()!.clicks.length;
    if (over > 0) this.buffer.splice(0, over);
    this.lose(lost, 'the click buffer is full (Postgres unreachable or too slow)');
  }

  private async writeBatch(): Promise<void> {
    const batch = this.retries.shift() ?? {
      id: randomUUID(),
      clicks: this.buffer.splice(0, BATCH_MAX),
    };
    if (batch.clicks.length === 0) return;
    try {
      await this.dataSource.transaction((tx) => this.write(batch, tx));
      this.counts.written += batch.clicks.length;
      this.backoffMs = 0;
    } catch (error) {
      if (!isTransient(error)) {
        this.lose(batch.clicks.length, `Postgres refused the batch: ${(error as Error).message}`);
        return;
      }
      this.retries.unshift(batch);
      this.bound();
      this.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(FLUSH_EVERY_MS, this.backoffMs * 2));
      this.logger.warn(
        `Writing ${batch.clicks.length} clicks failed (${(error as Error).message}); ${this.pending} kept, retrying in ${this.backoffMs} ms`,
      );
    }
  }

  private lose(count: number, why: string): void {
    this.counts.lost += count;
    this.logger.error(
      `${count} tracked-link clicks could not be kept: ${why} (${this.counts.lost} lost since start)`,
    );
  }

  /**
   * Raw clicks, first-seen clickers and rollups in one transaction. Clicks of a bot or referral
   * deleted meanwhile are dropped by the joins rather than failing the batch on a foreign key.
   */
  private async write({ id, clicks: batch }: Batch, tx: EntityManager): Promise<void> {
    // A batch whose COMMIT went through unacknowledged is here already: counting it again would
    // count its clicks twice.
    if (!(await claimClickBatch(tx, id))) return;
    await this.resolveLate(batch, tx);
    await insertClicks(tx, batch);
    const known = batch.filter((c) => c.referralId !== null);
    if (known.length === 0) return;
    // The first click of each (referral, clicker) in this batch may be a unique one.
    const firsts = new Map<string, Click>();
    for (const click of known) {
      if (click.isBot) continue;
      const id = `${click.referralId}|${click.clicker.toString('hex')}`;
      const first = firsts.get(id);
      if (!first || click.clickedAt < first.clickedAt) firsts.set(id, click);
    }
    const candidates = [...firsts.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, c]) => c);
    const fresh = await insertFirstClickers(tx, candidates);
    const deltas = new RollupDeltas();
    const dims = (click: Click) => ({
      referralId: click.referralId!,
      botId: click.botId,
      at: click.clickedAt,
      source: '',
      channel: '',
      adId: '',
    });
    for (const click of known)
      deltas.add(dims(click), click.isBot ? { botClicks: 1 } : { clicks: 1 });
    for (const row of fresh) {
      const click = firsts.get(`${row.referral_id}|${row.clicker.toString('hex')}`);
      if (click) deltas.add(dims(click), { uniqueClicks: 1 });
    }
    await deltas.write(tx);
  }

  /** The referral, active now, of each click the redirect could not resolve (memoised per param). */
  private async resolveLate(batch: Click[], tx: EntityManager): Promise<void> {
    for (const click of batch) {
      if (!click.unresolved) continue;
      const referral = await findActiveReferral(tx, click.botId, click.trackingParam);
      click.referralId = referral?.id ?? null;
      click.unresolved = false;
    }
  }
}
