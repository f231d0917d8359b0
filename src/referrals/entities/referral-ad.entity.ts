import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { Bot } from '../../bots';

/** The latest `ads_context_data.ad_title` Meta sent for an ad of the bot, for `byAd`. */
@Entity('referral_ads')
export class ReferralAd {
  @PrimaryColumn({ name: 'bot_id', type: 'uuid', primaryKeyConstraintName: 'pk_referral_ads' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referral_ads_bot' })
  bot?: Bot;

  @PrimaryColumn({
    name: 'ad_id',
    type: 'varchar',
    length: 100,
    primaryKeyConstraintName: 'pk_referral_ads',
  })
  adId!: string;

  @Column({ type: 'text', nullable: true })
  title!: string | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
