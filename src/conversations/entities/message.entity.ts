import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { type EventKind } from '../inbound-event';
import { Conversation } from './conversation.entity';
import { Reply } from './reply.entity';

export type MessageDirection = 'in' | 'out';
/** Inbound messages are `received`; outbound ones go from `pending` to `sent`, `failed` or `skipped`. */
/**
 * `sending`: claimed by a worker process that is sending it now (see `sendingBy`); a claim whose
 * process is gone means the send's outcome is unknown.
 */
export type MessageStatus = 'received' | 'pending' | 'sending' | 'sent' | 'failed' | 'skipped';

/** The message log of a conversation, both directions, with delivery status for outbound ones. */
@Entity('messages')
// An inbound row records what happened (its event kind), an outbound one what it sends (its content type).
@Check(
  'ck_messages_kind_by_direction',
  `(direction = 'in' AND event_kind IS NOT NULL AND content_type IS NULL) OR ` +
    `(direction = 'out' AND content_type IS NOT NULL AND event_kind IS NULL)`,
)
@Index('ix_messages_conversation', ['conversationId', 'id'])
// Outbound messages only: an inbound one has no reply, and a NULL entry per inbound message would
// be an index write per event that no lookup reads.
@Index('ix_messages_reply', ['replyId', 'position'], { where: 'reply_id IS NOT NULL' })
export class Message {
  @PrimaryGeneratedColumn('increment', { type: 'bigint', primaryKeyConstraintName: 'pk_messages' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'fk_messages_conversation' })
  conversation?: Conversation;

  @Column({ type: 'varchar', length: 3 })
  direction!: MessageDirection;

  @Column({ name: 'reply_id', type: 'uuid', nullable: true })
  replyId!: string | null;

  @ManyToOne(() => Reply, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'reply_id', foreignKeyConstraintName: 'fk_messages_reply' })
  reply?: Reply;

  /** Order within the reply. */
  @Column({ type: 'smallint', nullable: true })
  position!: number | null;

  /** Inbound only: what the contact did (see EventKind); null on outbound rows. */
  @Column({ name: 'event_kind', type: 'varchar', length: 20, nullable: true })
  eventKind!: EventKind | null;

  /**
   * Outbound only: the content type of the message sent (the Creator's message type: `text`,
   * `image`, ..., or `thread_control`); null on inbound rows.
   */
  @Column({ name: 'content_type', type: 'varchar', length: 20, nullable: true })
  contentType!: string | null;

  @Column({ type: 'text', nullable: true })
  text!: string | null;

  /** Inbound: the channel's item. Outbound: the channel payload to send. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 12 })
  status!: MessageStatus;

  /**
   * While `sending`: the claim of the worker process sending it, alive as long as that process's
   * claim session is connected to Postgres (see SendClaims). Null otherwise.
   */
  @Column({ name: 'sending_by', type: 'varchar', length: 64, nullable: true })
  sendingBy!: string | null;

  /** While `sending`: when the claim was made; a dead claim's send, if any, came after it. */
  @Column({ name: 'sending_at', type: 'timestamptz', precision: 3, nullable: true })
  sendingAt!: Date | null;

  /** The channel's id of the message (Messenger mid / message_id). */
  @Column({ name: 'external_id', type: 'varchar', length: 255, nullable: true })
  externalId!: string | null;

  @Column({ name: 'error_code', type: 'integer', nullable: true })
  errorCode!: number | null;

  @Column({ name: 'error_subcode', type: 'integer', nullable: true })
  errorSubcode!: number | null;

  @Column({ name: 'error_message', type: 'text', nullable: true })
  errorMessage!: string | null;

  @Column({ type: 'smallint', default: 0 })
  attempts!: number;

  @Column({ name: 'occurred_at', type: 'timestamptz', precision: 3 })
  occurredAt!: Date;

  @Column({ name: 'sent_at', type: 'timestamptz', precision: 3, nullable: true })
  sentAt!: Date | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
