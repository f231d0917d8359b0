import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Bot } from '../../bots';
import { type Channel, Contact } from '../../contacts';
import { Referral } from '../../referrals';

/** The thread between a bot and one contact on one channel. */
@Entity('conversations')
@Index('uq_conversations_contact', ['contactId'], { unique: true })
@Index('ix_conversations_bot_inbound', ['botId', 'lastInboundAt'])
@Index('ix_conversations_first_referral', ['firstReferralId'], {
  where: 'first_referral_id IS NOT NULL',
})
@Index('ix_conversations_last_referral', ['lastReferralId'], {
  where: 'last_referral_id IS NOT NULL',
})
export class Conversation {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_conversations' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_conversations_bot' })
  bot?: Bot;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_conversations_contact' })
  contact?: Contact;

  @Column({ type: 'varchar', length: 20 })
  channel!: Channel;

  @Column({ name: 'started_at', type: 'timestamptz', precision: 3 })
  startedAt!: Date;

  /** The contact's latest message: the channel's 24-hour messaging window runs from here. */
  @Column({ name: 'last_inbound_at', type: 'timestamptz', precision: 3 })
  lastInboundAt!: Date;

  /** While true a human agent has the conversation and the bot answers nothing. */
  @Column({ name: 'handed_over', type: 'boolean', default: false })
  handedOver!: boolean;

  @Column({ name: 'handed_over_at', type: 'timestamptz', precision: 3, nullable: true })
  handedOverAt!: Date | null;

  @Column({ name: 'handover_note', type: 'varchar', length: 500, nullable: true })
  handoverNote!: string | null;

  @Column({ name: 'first_referral_id', type: 'uuid', nullable: true })
  firstReferralId!: string | null;

  @Column({ name: 'last_referral_id', type: 'uuid', nullable: true })
  lastReferralId!: string | null;

  @ManyToOne(() => Referral, { onDelete: 'SET NULL' })
  @JoinColumn({
    name: 'first_referral_id',
    foreignKeyConstraintName: 'fk_conversations_first_referral',
  })
  firstReferral?: Referral;

  @ManyToOne(() => Referral, { onDelete: 'SET NULL' })
  @JoinColumn({
    name: 'last_referral_id',
    foreignKeyConstraintName: 'fk_conversations_last_referral',
  })
  lastReferral?: Referral;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
