import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MaintenanceTask } from '../queues';
import {
  createMonthlyPartition,
  deleteClickersOlderThan,
  deleteOldClickBatches,
  tableExists,
} from './partitions.repository';

const TASK = 'maintain-referral-partitions';
const EVERY_MS = 3600_000;
/** Tables partitioned by month, and their partition key. */
export const MONTHLY_TABLES = ['referral_entries', 'referral_clicks'] as const;
/** Months created ahead of the current one. */
const MONTHS_AHEAD = 2;
/** Clicker hashes change every UTC day: older first-seen rows can never match again. */
const CLICKERS_KEPT = '2 days';
const PURGE_CHUNK = 10_000;

/** `referral_entries_p2026_12` for December 2026. */
export function partitionName(table: string, month: Date): string {
  const mm = String(month.getUTCMonth() + 1).padStart(2, '0');
  return `${table}_p${month.getUTCFullYear()}_${mm}`;
}

/** The first instants (UTC) of this month and the next `ahead` months. */
export function monthsFrom(now: Date, ahead: number): Date[] {
  return Array.from(
    { length: ahead + 1 },
    (_, i) => new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + i, 1)),
  );
}

/**
 * Keeps the monthly partitions of referral entries and clicks created ahead (this month and the
 * next two), so rows never land in the default partition; an old month can then be detached and
 * archived or dropped whole (docs/ANALYTICS.md). Also deletes first-seen clickers older than two
 * days and the ids of click batches written more than a day ago. Runs hourly; creating a partition that exists is skipped without any lock.
 */
@Injectable()
@MaintenanceTask({ name: TASK, everyMs: EVERY_MS })
export class ReferralPartitionsTask implements MaintenanceTask {
  private readonly logger = new Logger(ReferralPartitionsTask.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Creates the missing partitions; returns their names. */
  async createAhead(now = new Date()): Promise<string[]> {
    const created: string[] = [];
    for (const table of MONTHLY_TABLES) {
      for (const month of monthsFrom(now, MONTHS_AHEAD)) {
        const name = partitionName(table, month);
        if (await tableExists(this.dataSource.manager, name)) continue;
        const next = new Date(Date.UTC(month.getUTCFullYear(), month.getUTCMonth() + 1, 1));
        // Wait behind long transactions for a moment only, retry next run.
        await createMonthlyPartition(this.dataSource, table, name, month, next);
        created.push(name);
      }
    }
    return created;
  }

  /** Deletes first-seen clickers that can no longer match; returns how many. */
  async purgeClickers(): Promise<number> {
    let total = 0;
    for (;;) {
      const deleted = await deleteClickersOlderThan(
        this.dataSource.manager,
        CLICKERS_KEPT,
        PURGE_CHUNK,
      );
      total += deleted;
      if (deleted < PURGE_CHUNK) return total;
    }
  }

  /** Deletes the ids of click batches written more than a day ago (none is retried that late). */
  async purgeClickBatches(): Promise<number> {
    return deleteOldClickBatches(this.dataSource.manager);
  }

  async run(): Promise<void> {
    const created = await this.createAhead();
    if (created.length > 0) this.logger.log(`Created partitions ${created.join(', ')}`);
    const purged = await this.purgeClickers();
    if (purged > 0) this.logger.debug(`Deleted ${purged} expired clicker hashes`);
    await this.purgeClickBatches();
  }
}
