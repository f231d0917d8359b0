import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MaintenanceTask } from '../queues';

const TASK = 'refresh-table-statistics';
const EVERY_MS = 10_000;
/** Rows changed since the last analyze that make a table's statistics stale: at least this many... */
const MIN_CHANGED_ROWS = 1000;
/** ...and at least this share of the table. */
const CHANGED_SHARE = 0.2;
/**
 * The statistics target of these analyzes: a sample of 300 x this many rows (PostgreSQL
 * `std_typanalyze`), histograms and most-common-value lists of up to this many entries.
 */
const STATISTICS_TARGET = 10;

/**
 * Analyzes tables whose statistics fell behind, within seconds. Autovacuum looks once a minute,
 * and until it does a young, fast-growing table (a fresh deployment, a campaign's first clicks)
 * is planned as if still empty: the hot path's cached plans then scan whole tables instead of
 * using their indexes. An analyze also makes those cached plans be made again. Old, large tables
 * rarely change by a fifth between two runs, so this leaves them to autovacuum.
 *
 * A table it picks changed by a fifth since its last analyze. Where autovacuum runs (it analyzes
 * a table once a tenth of it changed, looking once a minute), only a young table growing faster
 * than that gets here, and it needs its size and the rough shape of its columns, not fine
 * histograms: these analyzes sample 3,000 rows (`STATISTICS_TARGET`) instead of the default
 * 30,000. Autovacuum's next analyze, once another tenth of the table changed, brings the default's
 * precision back; a table that stops changing right after keeps the sample's statistics until
 * then. A full sample read the whole of a young table each time: 100-200 ms for a 33,000-row
 * `messages` (its `payload` and `text` in full), 25 ms with this sample. In
 * `npm run bench:webhook`, whose tables are young throughout, full analyzes were 7% of the
 * statement time Postgres spent per delivery (pg_stat_statements, 2026-12-07).
 */
@Injectable()
@MaintenanceTask({ name: TASK, everyMs: EVERY_MS })
export class TableStatisticsTask implements MaintenanceTask {
  private readonly logger = new Logger(TableStatisticsTask.name);

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Analyzes the stale tables of the app's schema; returns their names. */
  async refresh(): Promise<string[]> {
    const stale = await this.dataSource.query<{ name: string }[]>(
      `SELECT quote_ident(schemaname) || '.' || quote_ident(relname) AS name
         FROM pg_stat_user_tables
        WHERE schemaname = current_schema()
          AND n_mod_since_analyze >= greatest($1::bigint, $2::float8 * n_live_tup)
        ORDER BY relname`,
      [MIN_CHANGED_ROWS, CHANGED_SHARE],
    );
    const names = stale.map((table) => table.name);
    if (names.length === 0) return [];
    // The target holds for this transaction only (set_config's is_local), so the pool's
    // connection goes back with the default.
    await this.dataSource.transaction(async (tx) => {
      await tx.query(`SELECT set_config('default_statistics_target', $1, true)`, [
        String(STATISTICS_TARGET),
      ]);
      await tx.query(`ANALYZE ${names.join(', ')}`);
    });
    return names;
  }

  async run(): Promise<void> {
    const analyzed = await this.refresh();
    if (analyzed.length > 0) this.logger.debug(`Analyzed ${analyzed.join(', ')}`);
  }
}
