import {
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { GroupCommit } from '../common/group-commit';
import { AppConfig } from '../config';
import { OutboundRepository } from './outbound.repository';

/** Prefix of the claim session's `application_name`; the rest is the process's claim token. */
const SESSION_PREFIX = 'bp-sender:';
const RECONNECT_DELAY_MS = 1000;
/** Holds of stored-claimed messages are pruned past this many, when older than PRECLAIM_PRUNE_MS. */
const PRECLAIM_PRUNE_SIZE = 10_000;
const PRECLAIM_PRUNE_MS = 10 * 60_000;

/**
 * What claiming a message found: `claimed` (it was pending), `resumed` (a run that claimed it at
 * `since` died while sending it: whether the channel got it is unknown), or `busy` (a live
 * process is sending it, or it is no longer pending).
 */
export type ClaimOutcome =
  { kind: 'claimed' } | { kind: 'resumed'; since: Date } | { kind: 'busy' };

/**
 * Claims outbound messages before they are sent, so that one message is in one send at a time
 * across every worker process, even when Bull hands a job to a second process while the first is
 * still running it (its lock ran out during a Redis pause, a long GC, CPU starvation).
 *
 * A claim (status `sending`, `sending_by` = this process's token) lives as long as this process
 * holds its claim session: one Postgres connection whose `application_name` carries the token.
 * Postgres ends the session the moment the process dies (its socket closes), so another process
 * can tell a dead claim from a live one at once, from `pg_stat_activity`, with no lease to wait
 * out. What cannot be told from here is whether a dead process's send reached the channel before
 * it died (`resumed`): the channel is asked (ChannelSender.findSent), and the message is sent
 * again only when it says no or cannot tell (see docs/OPERATIONS.md).
 */
@Injectable()
export class SendClaims implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SendClaims.name);
  readonly token = randomUUID();
  private session: Client | undefined;
  private connected = false;
  private closing = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly claims = new GroupCommit<string, ClaimOutcome>((ids) => this.claimMany(ids));
  /**
   * Messages a run in this process holds now. A claim in Postgres under this process's token
   * for a message not held here is stale: the run that made it failed before it could record an
   * outcome (Postgres restarted under it, say), and it is taken over like a dead process's.
   */
  private readonly held = new Set<string>();
  /**
   * Messages stored already claimed by this process (`claimFor`), by when, until their send
   * reaches them (`claim`) or gives them back (`unclaim`). A write whose transaction rolled back
   * leaves ids here that no row will ever have (sequence values are not reused): pruned after
   * PRECLAIM_PRUNE_MS, so a process that loses many batches holds no growing set.
   */
  private readonly preclaimed = new Map<string, number>();

  constructor(
    private readonly config: AppConfig,
    private readonly repository: OutboundRepository,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runsWorkers) return;
    await this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearTimeout(this.reconnectTimer);
    await this.session?.end().catch(() => undefined);
  }

  /**
   * The token to store new messages under as claimed by this process (`status = 'sending'`), for
   * a send that follows their commit in this process; null while the claim session is down (they
   * are then stored pending and claimed when sent, as a queued send's are).
   */
  claimToken(): string | null {
    return this.connected ? this.token : null;
  }

  /**
   * Holds messages stored claimed under `claimToken()` (call it as they are written, before the
   * commit: from then on no other run in this process can take them). Their send takes the
   * claim with `claim` and no statement; `unclaim` gives back those it did not reach.
   */
  holdClaimed(messageIds: string[]): void {
    const now = Date.now();
    if (this.preclaimed.size > PRECLAIM_PRUNE_SIZE) this.prune(now);
    for (const id of messageIds) {
      this.held.add(id);
      this.preclaimed.set(id, now);
    }
  }

  /**
   * Gives back messages stored claimed (`holdClaimed`) that their send did not reach (it stopped
   * at an earlier message): pending again, so the reply's retry claims them as new and does not
   * take them for a dead run's sends. Never throws: a claim that cannot be given back stays
   * this process's, which a later claim takes over like a failed run's (ClaimOutcome `resumed`).
   */
  async unclaim(messageIds: string[]): Promise<void> {
    const ids = messageIds.filter((id) => this.preclaimed.delete(id));
    if (ids.length === 0) return;
    try {
      await this.repository.unclaim(ids, this.token);
    } catch (error) {
      this.logger.warn(`Could not give back claims: ${(error as Error).message}`);
    } finally {
      for (const id of ids) this.held.delete(id);
    }
  }

  /**
   * Claims one message for a send by this process; rejects while the claim session is down.
   * After `claimed` or `resumed`, the caller must `release` it once the outcome is recorded (or
   * could not be).
   */
  async claim(messageId: string): Promise<ClaimOutcome> {
    // Without its session, a claim of this process would look dead to every other one.
    if (!this.connected) throw new Error('the claim session is not connected to Postgres');
    // Stored claimed by this process for this send: the claim is already in Postgres.
    if (this.preclaimed.delete(messageId)) return { kind: 'claimed' };
    if (this.held.has(messageId)) return { kind: 'busy' };
    this.held.add(messageId);
    try {
      const [outcome] = await this.claims.submit([messageId]);
      if (outcome.kind === 'busy') this.held.delete(messageId);
      return outcome;
    } catch (error) {
      this.held.delete(messageId);
      throw error;
    }
  }

  /** Ends this process's hold on a message it claimed. */
  release(messageId: string): void {
    this.held.delete(messageId);
    this.preclaimed.delete(messageId);
  }

  /** Drops holds of stored-claimed messages never sent nor given back (their write rolled back). */
  private prune(now: number): void {
    for (const [id, since] of this.preclaimed) {
      if (now - since < PRECLAIM_PRUNE_MS) continue;
      this.preclaimed.delete(id);
      this.held.delete(id);
    }
  }

  /** The claims of concurrent sends, in one statement. */
  private async claimMany(ids: string[]): Promise<ClaimOutcome[]> {
    const rows = await this.repository.claim(ids, this.token, SESSION_PREFIX);
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.map((id): ClaimOutcome => {
      const row = byId.get(id);
      if (!row) return { kind: 'busy' };
      if (row.previous !== 'sending') return { kind: 'claimed' };
      return { kind: 'resumed', since: new Date(row.since ?? 0) };
    });
  }

  private async connect(): Promise<void> {
    const session = new Client({
      connectionString: this.config.databaseUrl,
      application_name: `${SESSION_PREFIX}${this.token}`,
      keepAlive: true,
    });
    this.session = session;
    session.on('error', (error: Error) =>
      this.logger.warn(`The claim session lost Postgres: ${error.message}`),
    );
    session.on('end', () => {
      if (this.session !== session) return;
      this.connected = false;
      this.scheduleReconnect();
    });
    try {
      await session.connect();
      this.connected = true;
    } catch (error) {
      this.logger.warn(`The claim session cannot reach Postgres: ${(error as Error).message}`);
      this.scheduleReconnect();
    }
  }

  private scheduleReconnect(): void {
    if (this.closing || this.reconnectTimer) return;
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.connect();
    }, RECONNECT_DELAY_MS);
    this.reconnectTimer.unref();
  }
}
