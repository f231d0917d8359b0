import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { GroupCommit } from '../common/group-commit';
import { pipelinedTransaction } from '../database';
import {
  OutboundRepository,
  type SentMark,
  type SentMarksPart,
  sentMarksPart,
} from './outbound.repository';

/** A send to record: `mayAnswerEntry` when it completes a reply that may answer a referral entry. */
export type PendingMark = SentMark & { mayAnswerEntry: boolean };

/** What a transaction carried (`SentMarks.carry`): settle it once that transaction has ended. */
export interface CarriedMarks {
  /** How many marks the transaction carried. */
  readonly count: number;
  /** It committed: the marks are recorded. */
  committed(): void;
  /** It rolled back (or its outcome is unknown): the marks are written on their own at once. */
  rolledBack(): void;
}

/**
 * Given to a carrier's work (`SentMarks.transaction`): `take()` hands the waiting marks over as a
 * part of the work's last statement (null when none waits; once per transaction), to be settled
 * with the transaction's outcome.
 */
export interface Carrying {
  take(): SentMarksPart | null;
}

interface Waiting {
  mark: PendingMark;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Longest a mark waits for a carrier's transaction before it is written on its own: a carrier
 * held up (a batch waiting on a slow Graph API profile look-up, say) must not hold sends'
 * records, and their claims, for long.
 */
const CARRY_WAIT_MS = 50;

const NOTHING_CARRIED: CarriedMarks = {
  count: 0,
  committed: () => undefined,
  rolledBack: () => undefined,
};

/**
 * Records successful sends: the messages and replies sent, the referral answers sent and
 * counted, in one statement (`OutboundRepository.markSent`). Written on its own, that statement
 * is a transaction (and a WAL flush) per send at light traffic. But while a carrier is at work (a
 * writer that has a transaction open anyway and runs each in `transaction`: the Messenger inbound
 * batch), the marks wait for its next transaction and ride its last statement as a part of it
 * (`Carrying.take`), or cost it one statement for all of them.
 * When no carrier is at work nor expected, when none took them within CARRY_WAIT_MS, or when the
 * transaction that carried them rolled back, they are written on their own, grouped (GroupCommit),
 * at once.
 *
 * A send is never repeated for a record that waits: its message stays claimed (`sending`) by this
 * live process until the record commits, and a process that dies first leaves claims that the
 * next run takes over by asking the channel (SendClaims `resumed`).
 */
@Injectable()
export class SentMarks {
  private readonly logger = new Logger(SentMarks.name);
  /** How long a mark waits for a carrier's transaction, in ms (a test holds marks longer). */
  carryWaitMs = CARRY_WAIT_MS;
  private waiting: Waiting[] = [];
  private readonly carriers: (() => boolean)[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closing = false;
  private readonly alone = new GroupCommit<PendingMark, null>(
    // One statement, atomic by itself: no transaction block.
    async (marks) => {
      await this.write(this.dataSource.manager, marks);
      return marks.map(() => null);
    },
    {
      // Several groups at once: a send not yet recorded is the one a crash makes uncertain, so a
      // record never waits behind a slow earlier one.
      parallel: 4,
      // Grouped marks share a fate: one that Postgres refuses must not hold back the others.
      retryAlone: (error, marks) =>
        this.logger.warn(
          `A group of ${marks} sent marks failed (${(error as Error).message}); writing them one by one`,
        ),
    },
  );

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly repository: OutboundRepository,
  ) {}

  /**
   * Registers a carrier: `busy()` says whether one of its transactions (each run in `transaction`)
   * is running or expected within `carryWaitMs`: one is about to start, or, under steady traffic,
   * one ended less than that ago. A mark recorded while no carrier is busy is written at once.
   */
  addCarrier(busy: () => boolean): void {
    this.carriers.push(busy);
  }

  /**
   * Resolves once the mark is committed; rejects with Postgres's error when it could not be.
   * `alone`: written on its own at once, whatever the carriers do (a record retried after a
   * failure).
   */
  record(mark: PendingMark, { alone = false }: { alone?: boolean } = {}): Promise<void> {
    if (alone || this.closing || !this.carrierBusy()) return this.writeGrouped(mark);
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ mark, resolve, reject });
      this.timer ??= setTimeout(() => this.writeWaiting(), this.carryWaitMs);
    });
  }

  /**
   * Runs `work` in a transaction that carries the waiting marks and settles them as that
   * transaction ends: recorded when it commits, written on their own when it rolls back. The marks
   * ride `work`'s last statement when it asks for them (`carrying.take()`: the statement part to
   * add, null when none waits), else a statement of their own after `work`; either way the sends
   * that finished while `work` ran are in it too. Resolves to what `work` did. The transaction is
   * pipelined (`pipelinedTransaction`): a statement that takes the marks must be `work`'s last.
   */
  async transaction<T>(work: (tx: EntityManager, carrying: Carrying) => Promise<T>): Promise<T> {
    let carried: CarriedMarks | undefined;
    const carrying: Carrying = {
      take: () => {
        if (carried) return null;
        const { marks, settle } = this.take();
        carried = settle;
        return marks.length === 0 ? null : this.part(marks);
      },
    };
    try {
      const done = await pipelinedTransaction(this.dataSource, async (tx) => {
        const result = await work(tx, carrying);
        carried ??= await this.carry(tx);
        return result;
      });
      carried?.committed();
      return done;
    } catch (error) {
      carried?.rolledBack();
      throw error;
    }
  }

  /**
   * Writes the waiting marks in the caller's transaction (one statement; none when no mark
   * waits). The caller settles what it returns once its transaction has ended; a failure here
   * hands the marks to be written on their own and rethrows (the transaction is aborted anyway:
   * the carrier retries its own work, and a mark that fails on its own too is retried alone,
   * never carried again, so it fails one carrier transaction at most).
   */
  async carry(tx: EntityManager): Promise<CarriedMarks> {
    const { marks, settle } = this.take();
    if (marks.length === 0) return settle;
    try {
      await this.write(tx, marks);
    } catch (error) {
      settle.rolledBack();
      throw error;
    }
    return settle;
  }

  /**
   * Takes the waiting marks for a carrier's transaction (`carry`, `Carrying.take`), and how to
   * settle them once that transaction ends.
   */
  take(): { marks: PendingMark[]; settle: CarriedMarks } {
    const taken = this.waiting.splice(0);
    if (taken.length === 0) return { marks: [], settle: NOTHING_CARRIED };
    this.stopTimer();
    let settled = false;
    return {
      marks: taken.map((waiting) => waiting.mark),
      settle: {
        count: taken.length,
        committed: () => {
          if (settled) return;
          settled = true;
          for (const waiting of taken) waiting.resolve();
        },
        rolledBack: () => {
          if (settled) return;
          settled = true;
          this.writeEach(taken);
        },
      },
    };
  }

  /** Stops waiting for carriers (the process is shutting down): every mark is written at once. */
  close(): void {
    this.closing = true;
    this.writeWaiting();
  }

  private carrierBusy(): boolean {
    return this.carriers.some((busy) => busy());
  }

  private writeWaiting(): void {
    this.stopTimer();
    this.writeEach(this.waiting.splice(0));
  }

  private stopTimer(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Each mark its own submission, so that one Postgres refuses fails alone. */
  private writeEach(marks: Waiting[]): void {
    for (const { mark, resolve, reject } of marks) this.writeGrouped(mark).then(resolve, reject);
  }

  private async writeGrouped(mark: PendingMark): Promise<void> {
    await this.alone.submit([mark]);
  }

  /** The marks, and the referral answers they complete sent and counted, in one statement. */
  private async write(manager: EntityManager, marks: PendingMark[]): Promise<void> {
    await this.repository.markSent(manager, marks.map(sentMarkOf), answering(marks));
  }

  /** The marks as a part of a carrier's statement. */
  private part(marks: PendingMark[]): SentMarksPart {
    return sentMarksPart(marks.map(sentMarkOf), answering(marks));
  }
}

/** The replies among `marks` that may answer a referral entry. */
const answering = (marks: PendingMark[]): string[] =>
  marks.flatMap((mark) => (answersEntry(mark) ? [mark.replyId!] : []));

const answersEntry = (mark: PendingMark): boolean => mark.replyId !== null && mark.mayAnswerEntry;

const sentMarkOf = ({ messageId, externalId, replyId }: PendingMark): SentMark => ({
  messageId,
  externalId,
  replyId,
});
