import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Bot } from '../../bots';
import { Referral } from './referral.entity';

export const CLICK_TARGETS = ['messenger', 'widget'] as const;
export type ClickTarget = (typeof CLICK_TARGETS)[number];

/**
 * One request to a tracked link `/r/{botId}/{trackingParam}`. Partitioned by month on
 * `clicked_at` (the migration declares it; see docs/ANALYTICS.md), so the primary key carries the
 * partition key. No raw IP is kept: `clicker` is a salted hash of (IP, User-Agent) that changes
 * every UTC day.
 */
@Entity('referral_clicks')
@Index('ix_referral_clicks_referral_time', ['referralId', 'clickedAt'])
@Index('ix_referral_clicks_bot_time', ['botId', 'clickedAt'])
export class ReferralClick {
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_referral_clicks',
  })
  id!: string;

  @PrimaryColumn({
    name: 'clicked_at',
    type: 'timestamptz',
    precision: 3,
    primaryKeyConstraintName: 'pk_referral_clicks',
  })
  clickedAt!: Date;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referral_clicks_bot' })
  bot?: Bot;

  /** Null when the param matched no active referral of the bot (an unknown click). */
  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId!: string | null;

  @ManyToOne(() => Referral, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_referral_clicks_referral' })
  referral?: Referral;

  /** The param exactly as the link carried it, cut to 100 characters. */
  @Column({ name: 'tracking_param', type: 'varchar', length: 100 })
  trackingParam!: string;

  /** 16 bytes of HMAC-SHA256(day key, IP + User-Agent). */
  @Column({ type: 'bytea' })
  clicker!: Buffer;

  /** A crawler or link-preview fetcher (per `isbot`), not a person. */
  @Column({ name: 'is_bot', type: 'boolean' })
  isBot!: boolean;

  @Column({ type: 'varchar', length: 10 })
  target!: ClickTarget;
}
