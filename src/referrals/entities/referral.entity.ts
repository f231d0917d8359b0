import {
  Check,
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { Bot } from '../../bots';
import { type Content } from '../../creator';
import { ModuleInstance } from '../../modules';
import { Segment } from '../../segments';

export const ANSWER_TYPES = ['message', 'module'] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

/**
 * A link into a bot at a predefined place. Deleting one is soft: its entries stay for the
 * statistics and its tracking param is free again. The relations exist for the foreign keys; other
 * modules' rows are read through their services.
 */
@Entity('referrals')
@Index('ix_referrals_bot_created', ['botId', 'createdAt', 'id'], { where: 'deleted_at IS NULL' })
// For the foreign keys: deleting a module or a segment would scan every referral otherwise.
@Index('ix_referrals_module', ['moduleId'], { where: 'module_id IS NOT NULL' })
@Index('ix_referrals_segment', ['segmentId'])
// Tracking params are unique per bot regardless of case among live referrals: created by the migration.
@Index('uq_referrals_bot_param', { synchronize: false })
// A message answer has content; a module answer has a module (unless deleted: SET NULL may clear it).
@Check(
  'ck_referrals_answer',
  `(answer_type = 'message' AND content IS NOT NULL AND module_id IS NULL) OR ` +
    `(answer_type = 'module' AND content IS NULL AND (module_id IS NOT NULL OR deleted_at IS NOT NULL))`,
)
export class Referral {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_referrals' })
  id!: string;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @ManyToOne(() => Bot, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'bot_id', foreignKeyConstraintName: 'fk_referrals_bot' })
  bot?: Bot;

  @Column({ name: 'tracking_param', type: 'varchar', length: 100 })
  trackingParam!: string;

  @Column({ name: 'answer_type', type: 'varchar', length: 16 })
  answerType!: AnswerType;

  @Column({ type: 'jsonb', nullable: true })
  content!: Content | null;

  @Column({ name: 'module_id', type: 'uuid', nullable: true })
  moduleId!: string | null;

  // SET NULL only matters for soft-deleted referrals: live ones make the module MODULE_IN_USE.
  @ManyToOne(() => ModuleInstance, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'module_id', foreignKeyConstraintName: 'fk_referrals_module' })
  module?: ModuleInstance;

  @Column({ name: 'segment_id', type: 'uuid' })
  segmentId!: string;

  @ManyToOne(() => Segment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_referrals_segment' })
  segment?: Segment;

  @Column({ type: 'varchar', length: 500, nullable: true })
  description!: string | null;

  @Column({ type: 'boolean', default: true })
  active!: boolean;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @DeleteDateColumn({ name: 'deleted_at', type: 'timestamptz', precision: 3, nullable: true })
  deletedAt!: Date | null;
}
