import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { type Channel } from '../../contacts';
import { Conversation } from './conversation.entity';

export type ReplyStatus = 'pending' | 'sent' | 'failed' | 'skipped';

/**
 * How a reply's messages are sent, for messages no inbound event asked for (broadcasts); null for
 * answers. Channel-neutral: the sender maps it (see SendOptions). A `notificationTopic` is turned
 * into the contact's token at send time, so no token is stored in the clear.
 */
export interface ReplySendOptions {
  purpose: 'update' | 'tagged' | 'notification';
  tag?: string;
  notificationTopic?: string;
  priority: 'reply' | 'bulk';
}

/** The messages answering one inbound event, sent in order by one outbound job. */
@Entity('replies')
@Index('ix_replies_pending', ['createdAt'], { where: "status = 'pending'" })
@Index('ix_replies_conversation', ['conversationId'])
@Index('ux_replies_source_key', ['sourceKey'], { unique: true, where: 'source_key IS NOT NULL' })
export class Reply {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_replies' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @Column({ name: 'conversation_id', type: 'uuid' })
  conversationId!: string;

  @ManyToOne(() => Conversation, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'conversation_id', foreignKeyConstraintName: 'fk_replies_conversation' })
  conversation?: Conversation;

  @Column({ type: 'varchar', length: 20 })
  channel!: Channel;

  @Column({ type: 'varchar', length: 12 })
  status!: ReplyStatus;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  /** Who asked for the reply when it answers no inbound event (`broadcast:<id>:<contact>`); unique. */
  @Column({ name: 'source_key', type: 'varchar', length: 120, nullable: true })
  sourceKey!: string | null;

  @Column({ name: 'send_options', type: 'jsonb', nullable: true })
  sendOptions!: ReplySendOptions | null;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;
}
