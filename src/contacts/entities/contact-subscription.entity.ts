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
import { type Channel, Contact } from './contact.entity';

/**
 * Meta's opt-in kinds a contact can subscribe with (`optin.type`): recurring marketing messages, and
 * the one-time notification request (a single message allowed per token).
 */
export const SUBSCRIPTION_TYPES = ['notification_messages', 'one_time_notif_req'] as const;
export type SubscriptionType = (typeof SUBSCRIPTION_TYPES)[number];

/** `stopped` after STOP_NOTIFICATIONS, `active` again after RESUME_NOTIFICATIONS. */
export const SUBSCRIPTION_STATUSES = ['active', 'stopped'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

/**
 * A contact's permission to be messaged outside the 24-hour window on one topic (Meta's opt-in
 * `payload`), with the token Meta issued for it. Broadcasts send with the decrypted token; the API
 * never returns it. One row per contact, type and topic: a new opt-in replaces the token.
 */
@Entity('contact_subscriptions')
@Index('uq_contact_subscriptions_contact_type_topic', ['contactId', 'type', 'topic'], {
  unique: true,
})
@Index('ix_contact_subscriptions_bot_topic', ['botId', 'type', 'topic', 'status'])
@Index('ix_contact_subscriptions_token_hash', ['botId', 'tokenHash'])
export class ContactSubscription {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_contact_subscriptions' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_contact_subscriptions_bot' })
  bot?: Bot;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_contact_subscriptions_contact' })
  contact?: Contact;

  @Column({ type: 'varchar', length: 20 })
  channel!: Channel;

  @Column({ type: 'varchar', length: 32 })
  type!: SubscriptionType;

  /** Meta's `optin.payload`: the topic the person agreed to hear about ('' when none was given). */
  @Column({ type: 'varchar', length: 1000 })
  topic!: string;

  /** Meta's `optin.title`: what the person saw when agreeing. */
  @Column({ type: 'varchar', length: 255, nullable: true })
  title!: string | null;

  /** The token (`notification_messages_token` or `one_time_notif_token`), AES-256-GCM with SECRETS_KEY. */
  @Column({ name: 'token_encrypted', type: 'text' })
  tokenEncrypted!: string;

  /** HMAC-SHA256 of the token under SECRETS_KEY: finds the row when Meta names only the token (STOP). */
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ type: 'varchar', length: 12 })
  status!: SubscriptionStatus;

  /** `notification_messages_frequency`: DAILY, WEEKLY or MONTHLY. */
  @Column({ type: 'varchar', length: 20, nullable: true })
  frequency!: string | null;

  /** `notification_messages_timezone`, an IANA name such as Europe/Berlin. */
  @Column({ type: 'varchar', length: 64, nullable: true })
  timezone!: string | null;

  /** `token_expiry_timestamp`: the token is useless after this. */
  @Column({ name: 'token_expires_at', type: 'timestamptz', precision: 3, nullable: true })
  tokenExpiresAt!: Date | null;

  /** `user_token_status`: Meta's word on the token (REFRESHED, NOT_REFRESHED, ...). */
  @Column({ name: 'user_token_status', type: 'varchar', length: 40, nullable: true })
  userTokenStatus!: string | null;

  /** Time of the event that set the current status; older events arriving late change nothing. */
  @Column({ name: 'status_changed_at', type: 'timestamptz', precision: 3 })
  statusChangedAt!: Date;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
