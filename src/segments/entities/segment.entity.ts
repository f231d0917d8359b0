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

/** A named group of a bot's contacts that other modules (Broadcast) can target. */
@Entity('segments')
@Index('ix_segments_bot_created', ['botId', 'createdAt', 'id'])
// Names are unique per bot regardless of case: (bot_id, lower(name)), created by the migration.
@Index('uq_segments_bot_name', { synchronize: false })
export class Segment {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_segments' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_segments_bot' })
  bot?: Bot;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
