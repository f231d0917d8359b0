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
 * A website visitor's chat session. The browser keeps the token (shown once, at creation); only its
 * SHA-256 is stored, so a leaked table does not open anyone's chat. `visitorId` is the contact's
 * external id on channel `widget` (kind `visitor`): resuming the session is talking as the same
 * contact.
 */
@Entity('widget_sessions')
@Index('uq_widget_sessions_token_hash', ['tokenHash'], { unique: true })
@Index('ix_widget_sessions_bot_visitor', ['botId', 'visitorId'])
export class WidgetSession {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_widget_sessions' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_widget_sessions_bot' })
  bot?: Bot;

  @Column({ name: 'visitor_id', type: 'varchar', length: 64 })
  visitorId!: string;

  /** Hex SHA-256 of the session token. */
  @Column({ name: 'token_hash', type: 'char', length: 64 })
  tokenHash!: string;

  /** The site's own id for the visitor, from `BotWidget.identify({ externalId })`. */
  @Column({ name: 'site_user_id', type: 'varchar', length: 255, nullable: true })
  siteUserId!: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @Column({ name: 'last_seen_at', type: 'timestamptz', precision: 3 })
  lastSeenAt!: Date;
}
