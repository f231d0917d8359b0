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

/** The messages answering one inbound event, sent in order by one outbound job. */
@Entity('replies')
@Index('ix_replies_pending', ['createdAt'], { where: "status = 'pending'" })
@Index('ix_replies_conversation', ['conversationId'])
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

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;
}
