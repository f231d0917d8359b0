import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Bot } from '../../bots';
import { Referral } from './referral.entity';

/** The counters of a rollup row, in the order the rollup SQL binds them. */
export const STAT_COUNTERS = [
  'clicks',
  'uniqueClicks',
  'botClicks',
  'entries',
  'uniqueContacts',
  'newContacts',
  'returningContacts',
  'answersSent',
  'answersDelivered',
  'answersRead',
  'engagedContacts',
] as const;
export type StatCounter = (typeof STAT_COUNTERS)[number];

const counter = (name: string) => Column({ name, type: 'integer', default: 0 });

/**
 * The funnel of a referral per 15 minutes (UTC) and per (source, channel, ad), kept up to date by
 * upserts in the same transactions that write clicks, entries and answer steps. Fifteen minutes
 * because every time zone's offset is a multiple of it, so any zone's local hours and days are
 * unions of whole buckets. Each bucket has a total row (source, channel and ad all '*') with
 * every count, which series and totals read (one row per bucket), and a row per (source, channel,
 * ad) of its entries, which breakdowns read. Clicks have no source, channel or ad: they are in the
 * total row only.
 */
@Entity('referral_stats')
@Index('ix_referral_stats_bot_bucket', ['botId', 'bucket'])
export class ReferralStat {
  @PrimaryColumn({
    name: 'referral_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_referral_stats',
  })
  referralId!: string;

  @ManyToOne(() => Referral, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_referral_stats_referral' })
  referral?: Referral;

  @PrimaryColumn({ type: 'timestamptz', primaryKeyConstraintName: 'pk_referral_stats' })
  bucket!: Date;

  @PrimaryColumn({ type: 'varchar', length: 100, primaryKeyConstraintName: 'pk_referral_stats' })
  source!: string;

  @PrimaryColumn({ type: 'varchar', length: 20, primaryKeyConstraintName: 'pk_referral_stats' })
  channel!: string;

  @PrimaryColumn({
    name: 'ad_id',
    type: 'varchar',
    length: 100,
    primaryKeyConstraintName: 'pk_referral_stats',
  })
  adId!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referral_stats_bot' })
  bot?: Bot;

  @counter('clicks') clicks!: number;
  @counter('unique_clicks') uniqueClicks!: number;
  @counter('bot_clicks') botClicks!: number;
  @counter('entries') entries!: number;
  @counter('unique_contacts') uniqueContacts!: number;
  @counter('new_contacts') newContacts!: number;
  @counter('returning_contacts') returningContacts!: number;
  @counter('answers_sent') answersSent!: number;
  @counter('answers_delivered') answersDelivered!: number;
  @counter('answers_read') answersRead!: number;
  @counter('engaged_contacts') engagedContacts!: number;
}
