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

export const CHANNELS = ['messenger', 'widget'] as const;
export type Channel = (typeof CHANNELS)[number];

/** How a channel identifies the person: a Messenger PSID, a plugin user_ref, a widget visitor id. */
export type ExternalIdKind = 'psid' | 'user_ref' | 'visitor';

/** A person talking to a bot on one channel. */
@Entity('contacts')
@Index('uq_contacts_bot_channel_external', ['botId', 'channel', 'externalId'], { unique: true })
export class Contact {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_contacts' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_contacts_bot' })
  bot?: Bot;

  @Column({ type: 'varchar', length: 20 })
  channel!: Channel;

  @Column({ name: 'external_id', type: 'varchar', length: 255 })
  externalId!: string;

  @Column({ name: 'external_id_kind', type: 'varchar', length: 20 })
  externalIdKind!: ExternalIdKind;

  @Column({ name: 'first_name', type: 'varchar', length: 100, nullable: true })
  firstName!: string | null;

  @Column({ name: 'last_name', type: 'varchar', length: 100, nullable: true })
  lastName!: string | null;

  /** Set once the channel's profile lookup ran (successfully or not); it is not repeated. */
  @Column({ name: 'profile_fetched_at', type: 'timestamptz', precision: 3, nullable: true })
  profileFetchedAt!: Date | null;

  /** Time of the contact's first event: entries at this time come from a new contact. */
  @Column({ name: 'first_seen_at', type: 'timestamptz', precision: 3 })
  firstSeenAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', precision: 3 })
  lastSeenAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
