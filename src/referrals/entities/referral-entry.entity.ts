import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Bot } from '../../bots';
import { type Channel, Contact } from '../../contacts';
import { Referral } from './referral.entity';

/**
 * One entry through a referral link: the data referral statistics read (entries, unique and new
 * contacts, sources, over time). Unknown or inactive refs are recorded too, with a null referral.
 * Partitioned by month on `occurred_at` (declared by the migration; see docs/ANALYTICS.md).
 */
@Entity('referral_entries')
@Index('ix_referral_entries_referral_time', ['referralId', 'occurredAt'])
@Index('ix_referral_entries_bot_time', ['botId', 'occurredAt'])
@Index('ix_referral_entries_contact', ['contactId', 'occurredAt'])
@Index('ix_referral_entries_conversation', ['conversationId'], {
  where: 'conversation_id IS NOT NULL',
})
export class ReferralEntry {
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_referral_entries',
  })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referral_entries_bot' })
  bot?: Bot;

  /** Null when the ref matched no active referral of the bot. */
  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId!: string | null;

  @ManyToOne(() => Referral, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_referral_entries_referral' })
  referral?: Referral;

  /** The ref exactly as the link carried it (m.me refs go up to 2,083 characters). */
  @Column({ name: 'raw_ref', type: 'varchar', length: 2100, nullable: true })
  rawRef!: string | null;

  /** SHORTLINK, ADS, MESSENGER_CODE, CUSTOMER_CHAT_PLUGIN, OPTIN, ...: stored as received. */
  @Column({ type: 'varchar', length: 100, nullable: true })
  source!: string | null;

  @Column({ type: 'varchar', length: 20 })
  channel!: Channel;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_referral_entries_contact' })
  contact?: Contact;

  @Column({ name: 'conversation_id', type: 'uuid', nullable: true })
  conversationId!: string | null;

  // Named, not imported: conversations live above referrals in the module map.
  @ManyToOne('Conversation', { onDelete: 'SET NULL' })
  @JoinColumn({
    name: 'conversation_id',
    foreignKeyConstraintName: 'fk_referral_entries_conversation',
  })
  conversation?: unknown;

  /** True when this entry was the contact's first contact with the bot. */
  @Column({ name: 'is_new_contact', type: 'boolean' })
  isNewContact!: boolean;

  @Column({ name: 'ad_id', type: 'varchar', length: 100, nullable: true })
  adId!: string | null;

  @Column({ name: 'ads_context', type: 'jsonb', nullable: true })
  adsContext!: Record<string, unknown> | null;

  @Column({ name: 'referer_uri', type: 'text', nullable: true })
  refererUri!: string | null;

  /** Also the partition key: entries are partitioned by month of `occurred_at`. */
  @PrimaryColumn({
    name: 'occurred_at',
    type: 'timestamptz',
    precision: 3,
    primaryKeyConstraintName: 'pk_referral_entries',
  })
  occurredAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
