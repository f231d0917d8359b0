import { Logger } from '@nestjs/common';
import { type DataSource, type EntityManager } from 'typeorm';
import { nextValues } from './sequences.repository';

/** Ids taken from the sequence per statement; the next block is fetched once half is used. */
const BLOCK = 256;

/**
 * Ids for new rows of a table, taken ahead from its own sequence (`sequence`, the id column's
 * default) in blocks of 256, one statement per block, the next fetched in the background once half
 * is used. A row's id is then known before the row is written, so the statement writing it needs
 * no answer before the transaction's next one and travels with it (preparedCarried).
 * The ids are the sequence's, so unique whoever else takes from it (the column's default too);
 * across processes they do not follow the order rows were written in, and a transaction that rolls
 * back loses the ids it took, as with the default.
 */
export class SequenceIds {
  private readonly logger = new Logger(SequenceIds.name);
  private ready: string[] = [];
  private refill: Promise<void> | null = null;

  /** `sequence`: a sequence's name, as SQL writes it. */
  constructor(
    private readonly dataSource: DataSource,
    private readonly sequence: string,
  ) {}

  /**
   * `count` unused ids (bigint as text): from the block in hand, else fetched in `manager` (one
   * statement; the background refill makes that rare), by default outside any transaction.
   */
  async take(count: number, manager: EntityManager = this.dataSource.manager): Promise<string[]> {
    if (count === 0) return [];
    if (this.ready.length < count)
      this.ready.push(...(await nextValues(manager, this.sequence, BLOCK + count)));
    return this.takeReady(count)!;
  }

  /**
   * `count` unused ids from the block in hand, with no statement and no wait, or null when it
   * holds fewer (a refill then starts in the background).
   */
  takeReady(count: number): string[] | null {
    const taken = this.ready.length >= count ? this.ready.splice(0, count) : null;
    this.fillAhead();
    return taken;
  }

  /** Fetches a block in the background unless one is in hand (for the first takes to find). */
  fillAhead(): void {
    if (this.ready.length < BLOCK / 2) this.refillInBackground();
  }

  private refillInBackground(): void {
    this.refill ??= nextValues(this.dataSource.manager, this.sequence, BLOCK)
      .then((ids) => void this.ready.push(...ids))
      .catch((error: Error) =>
        this.logger.debug(`Ids of ${this.sequence} not fetched ahead: ${error.message}`),
      )
      .finally(() => (this.refill = null));
  }
}
