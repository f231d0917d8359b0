import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Bot } from '../../bots';
import { Contact } from '../../contacts';
import { Referral } from './referral.entity';

/**
 * Each contact that entered through a referral, once: the first-seen set behind the exact
 * `uniqueContacts`, and the contact's touches (first and last entry through each referral; the
 * earliest `first_entered_at` of a contact is its first-touch referral, the latest
 * `last_entered_at` its last touch). The dimensions are those of its first entry, where its
 * unique and engaged counts are rolled up.
 */
@Entity('referral_contacts')
@Index('ix_referral_contacts_contact', ['contactId', 'lastEnteredAt'])
@Index('ix_referral_contacts_bot', ['botId'])
export class ReferralContact {
  @PrimaryColumn({
    name: 'referral_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_referral_contacts',
  })
  referralId!: string;

  @ManyToOne(() => Referral, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_referral_contacts_referral' })
  referral?: Referral;

  @PrimaryColumn({
    name: 'contact_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_referral_contacts',
  })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_referral_contacts_contact' })
  contact?: Contact;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referral_contacts_bot' })
  bot?: Bot;

  @Column({ name: 'first_entered_at', type: 'timestamptz', precision: 3 })
  firstEnteredAt!: Date;

  @Column({ name: 'last_entered_at', type: 'timestamptz', precision: 3 })
  lastEnteredAt!: Date;

  /** When the contact first sent a message or tapped a quick reply or button within 24 h of an entry. */
  @Column({ name: 'engaged_at', type: 'timestamptz', precision: 3, nullable: true })
  engagedAt!: Date | null;

  @Column({ type: 'varchar', length: 100, default: '' })
  source!: string;

  @Column({ type: 'varchar', length: 20 })
  channel!: string;

  @Column({ name: 'ad_id', type: 'varchar', length: 100, default: '' })
  adId!: string;
}
