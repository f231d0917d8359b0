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

/** A bot's configured flow of one module type; referrals, buttons and the bot's settings start it. */
@Entity('module_instances')
@Index('ix_module_instances_bot_created', ['botId', 'createdAt', 'id'])
export class ModuleInstance {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_module_instances' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_module_instances_bot' })
  bot?: Bot;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  @Column({ type: 'varchar', length: 50 })
  type!: string;

  @Column({ type: 'jsonb' })
  config!: Record<string, unknown>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
