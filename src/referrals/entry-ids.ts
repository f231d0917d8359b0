import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { takeEntryIds as fetch } from './referrals.repository';

/** Ids taken from the sequence per statement; the next block is fetched once half is used. */
const BLOCK = 256;

/**
 * Ids for new referral entries, taken ahead from `referral_entries_id_seq` (the entries' own
 * default) in blocks of 256, one statement per block, the next fetched in the background once half
 * is used. An entry's id is then known before its row is written, so the statement writing it
 * needs no answer before the transaction's next one and travels with it (preparedCarried).
 * The ids are the sequence's, so unique whoever else takes from it; across processes they do not
 * follow the order entries were written in, which nothing relies on (entries are read in the order
 * of `occurred_at`, the id only breaking ties).
 */
@Injectable()
export class EntryIds {
  private readonly logger = new Logger(EntryIds.name);
  private ready: string[] = [];
  private refill: Promise<void> | null = null;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `count` unused entry ids: from the block in hand, else fetched in `tx` (one statement; the
   * background refill makes that rare).
   */
  async take(count: number, tx: EntityManager): Promise<string[]> {
    if (count === 0) return [];
    if (this.ready.length < count) this.ready.push(...(await fetch(tx, BLOCK + count)));
    const taken = this.ready.splice(0, count);
    if (this.ready.length < BLOCK / 2) this.refillInBackground();
    return taken;
  }

  private refillInBackground(): void {
    this.refill ??= fetch(this.dataSource.manager, BLOCK)
      .then((ids) => void this.ready.push(...ids))
      .catch((error: Error) => this.logger.debug(`Entry ids not fetched ahead: ${error.message}`))
      .finally(() => (this.refill = null));
  }
}
