import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Bot } from '../../bots';
import { Contact } from '../../contacts';
import { Referral } from './referral.entity';

/**
 * The answer to one entry through a referral, from queued to sent, delivered and read: the
 * funnel's answer steps. Keyed by the reply that carries it (conversations own replies; this row
 * only names it). The dimensions are the entry's, where the steps are rolled up.
 */
@Entity('referral_answers')
@Index('ix_referral_answers_unread', ['contactId'], { where: 'read_at IS NULL' })
@Index('ix_referral_answers_referral', ['referralId'])
@Index('ix_referral_answers_bot', ['botId'])
export class ReferralAnswer {
  @PrimaryColumn({
    name: 'reply_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_referral_answers',
  })
  replyId!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referral_answers_bot' })
  bot?: Bot;

  @Column({ name: 'referral_id', type: 'uuid' })
  referralId!: string;

  @ManyToOne(() => Referral, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_referral_answers_referral' })
  referral?: Referral;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_referral_answers_contact' })
  contact?: Contact;

  @Column({ name: 'entry_id', type: 'bigint' })
  entryId!: string;

  @Column({ name: 'entered_at', type: 'timestamptz', precision: 3 })
  enteredAt!: Date;

  @Column({ type: 'varchar', length: 100, default: '' })
  source!: string;

  @Column({ type: 'varchar', length: 20 })
  channel!: string;

  @Column({ name: 'ad_id', type: 'varchar', length: 100, default: '' })
  adId!: string;

  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt!: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @Column({ name: 'read_at', type: 'timestamptz', precision: 3, nullable: true })
  readAt!: Date | null;
}
