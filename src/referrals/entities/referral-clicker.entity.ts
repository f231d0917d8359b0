import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Referral } from './referral.entity';

/**
 * The clickers a referral saw (first-seen set): a click whose (referral, clicker) is not here yet
 * is a unique click. The clicker hash changes every UTC day, so rows older than a day can never
 * match again and a maintenance task deletes them.
 */
@Entity('referral_clickers')
@Index('ix_referral_clickers_first', ['firstClickedAt'])
export class ReferralClicker {
  @PrimaryColumn({
    name: 'referral_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_referral_clickers',
  })
  referralId!: string;

  @ManyToOne(() => Referral, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_referral_clickers_referral' })
  referral?: Referral;

  @PrimaryColumn({ type: 'bytea', primaryKeyConstraintName: 'pk_referral_clickers' })
  clicker!: Buffer;

  @Column({ name: 'first_clicked_at', type: 'timestamptz', precision: 3 })
  firstClickedAt!: Date;
}
