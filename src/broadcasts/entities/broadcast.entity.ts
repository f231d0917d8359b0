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
import { type Content } from '../../creator';
import { type AudienceQuery } from '../../segments';

export const BROADCAST_STATUSES = [
  'scheduled',
  'sending',
  'paused',
  'completed',
  'cancelled',
  'failed',
] as const;
export type BroadcastStatus = (typeof BROADCAST_STATUSES)[number];

/**
 * Creator content sent once to every contact of an audience of segments, within Meta's messaging
 * rules. Its recipients are materialised from the audience in chunks (`materialisedAfter` is the
 * keyset position reached) and each carries its own state (BroadcastRecipient).
 */
@Entity('broadcasts')
@Index('ix_broadcasts_bot_created', ['botId', 'createdAt', 'id'])
@Index('ix_broadcasts_active', ['status', 'sendAt'], {
  where: "status IN ('scheduled', 'sending')",
})
export class Broadcast {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_broadcasts' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_broadcasts_bot' })
  bot?: Bot;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'jsonb' })
  audience!: Required<AudienceQuery>;

  @Column({ type: 'jsonb' })
  content!: Content;

  @Column({ name: 'send_at', type: 'timestamptz', precision: 3 })
  sendAt!: Date;

  /** Meta's message tag for contacts outside the 24-hour window. */
  @Column({ name: 'message_tag', type: 'varchar', length: 40, nullable: true })
  messageTag!: string | null;

  /** The marketing-messages topic whose subscribers outside the window get it with their token. */
  @Column({ name: 'notification_topic', type: 'varchar', length: 1000, nullable: true })
  notificationTopic!: string | null;

  @Column({ type: 'varchar', length: 12 })
  status!: BroadcastStatus;

  /** The last contact id materialised; null before the first chunk. */
  @Column({ name: 'materialised_after', type: 'uuid', nullable: true })
  materialisedAfter!: string | null;

  @Column({ type: 'boolean', default: false })
  materialised!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @Column({ name: 'completed_at', type: 'timestamptz', precision: 3, nullable: true })
  completedAt!: Date | null;
}
