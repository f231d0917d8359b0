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

/**
 * A message the bot sent to a widget visitor: the widget's "inbox on the browser side". The id is
 * the stream's event id and the polling cursor, so a browser that was away reads what it missed.
 */
@Entity('widget_messages')
@Index('ix_widget_messages_visitor', ['botId', 'visitorId', 'id'])
export class WidgetMessage {
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_widget_messages',
  })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_widget_messages_bot' })
  bot?: Bot;

  @Column({ name: 'visitor_id', type: 'varchar', length: 64 })
  visitorId!: string;

  /** The rendered message (the Creator's WidgetMessage). */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @CreateDateColumn({ name: 'sent_at', type: 'timestamptz', precision: 3 })
  sentAt!: Date;
}
