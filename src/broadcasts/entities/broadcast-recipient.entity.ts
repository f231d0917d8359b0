import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Contact } from '../../contacts';
import { Broadcast } from './broadcast.entity';

export const RECIPIENT_STATUSES = ['pending', 'sent', 'failed', 'skipped'] as const;
export type RecipientStatus = (typeof RECIPIENT_STATUSES)[number];

/**
 * One contact of a broadcast and how far it got. `sent`, `failed` and `skipped` are final: a
 * re-driven broadcast takes only `pending` ones, and their send goes through the outbound claims,
 * so nobody gets a broadcast twice.
 */
@Entity('broadcast_recipients')
@Index('ux_broadcast_recipients_contact', ['broadcastId', 'contactId'], { unique: true })
@Index('ix_broadcast_recipients_status', ['broadcastId', 'status', 'id'])
@Index('ix_broadcast_recipients_contact', ['contactId'])
export class BroadcastRecipient {
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_broadcast_recipients',
  })
  id!: string;

  @Column({ name: 'broadcast_id', type: 'uuid' })
  broadcastId!: string;

  @ManyToOne(() => Broadcast, { onDelete: 'CASCADE' })
  @JoinColumn({
    name: 'broadcast_id',
    foreignKeyConstraintName: 'fk_broadcast_recipients_broadcast',
  })
  broadcast?: Broadcast;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @Column({ name: 'contact_id', type: 'uuid' })
  contactId!: string;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_broadcast_recipients_contact' })
  contact?: Contact;

  @Column({ type: 'varchar', length: 12 })
  status!: RecipientStatus;

  /** Why it was skipped or failed (a stable code, e.g. OUTSIDE_WINDOW, SEND_FAILED). */
  @Column({ type: 'varchar', length: 40, nullable: true })
  reason!: string | null;

  /** The channel's error code and subcode of a failed send (Meta's `error.code`). */
  @Column({ name: 'error_code', type: 'integer', nullable: true })
  errorCode!: number | null;

  @Column({ name: 'error_subcode', type: 'integer', nullable: true })
  errorSubcode!: number | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  /** How the send went out: UPDATE, MESSAGE_TAG or NOTIFICATION (null until decided). */
  @Column({ name: 'sent_as', type: 'varchar', length: 20, nullable: true })
  sentAs!: string | null;

  @Column({ type: 'smallint', default: 0 })
  attempts!: number;

  /** A transient failure waits until here before the next attempt. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', precision: 3, nullable: true })
  nextAttemptAt!: Date | null;

  /**
   * When its send started (before the Send API call, so never after Meta's timestamp of the
   * message): a delivery or read watermark at or after it covers the message.
   */
  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt!: Date | null;

  /** The delivery (or read) watermark that first covered the message. */
  @Column({ name: 'delivered_at', type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  /** The read watermark that first covered the message. */
  @Column({ name: 'read_at', type: 'timestamptz', precision: 3, nullable: true })
  readAt!: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
