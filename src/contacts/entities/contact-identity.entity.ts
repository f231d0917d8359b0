import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { Bot } from '../../bots';
import { type Channel, Contact, type ExternalIdKind } from './contact.entity';

/**
 * Another id a channel knows the same person by, beside the contact's own `externalId` (which is
 * what the bot sends to). Made when Meta says two ids are one person: a checkbox plugin opt-in's
 * `user_ref`, then a PSID whose message carries `prior_message.identifier` = that user_ref. Events
 * from either id resolve to the one contact.
 */
@Entity('contact_identities')
@Index('uq_contact_identities_bot_channel_external', ['botId', 'channel', 'externalId'], {
  unique: true,
})
@Index('ix_contact_identities_contact', ['contactId'])
export class ContactIdentity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_contact_identities' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_contact_identities_bot' })
  bot?: Bot;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_contact_identities_contact' })
  contact?: Contact;

  @Column({ type: 'varchar', length: 20 })
  channel!: Channel;

  @Column({ name: 'external_id', type: 'varchar', length: 255 })
  externalId!: string;

  @Column({ name: 'external_id_kind', type: 'varchar', length: 20 })
  externalIdKind!: ExternalIdKind;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
