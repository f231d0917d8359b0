import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  OneToOne,
  PrimaryColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Bot } from './bot.entity';

/** A bot's Facebook Page. One page belongs to at most one bot. */
@Entity('bot_messenger_connections')
export class MessengerConnection {
  @PrimaryColumn({
    name: 'bot_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_bot_messenger_connections',
  })
  botId!: string;

  @OneToOne(() => Bot, (bot) => bot.messenger, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_bot_messenger_connections_bot' })
  bot?: Bot;

  @Index('uq_bot_messenger_connections_page', { unique: true })
  @Column({ name: 'page_id', type: 'varchar', length: 32 })
  pageId!: string;

  @Column({ name: 'page_username', type: 'varchar', length: 100, nullable: true })
  pageUsername!: string | null;

  /**
   * The app Meta's Handover Protocol passes this page's threads to (`target_app_id` of
   * pass_thread_control) when a handover module names none; null: MESSENGER_HANDOVER_APP_ID.
   */
  @Column({ name: 'handover_app_id', type: 'varchar', length: 32, nullable: true })
  handoverAppId!: string | null;

  /** AES-256-GCM with SECRETS_KEY; never returned by the API. */
  @Column({ name: 'access_token_encrypted', type: 'text' })
  accessTokenEncrypted!: string;

  @CreateDateColumn({ name: 'connected_at', type: 'timestamptz', precision: 3 })
  connectedAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
