import {
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  OneToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';
import { type Content } from '../../creator';
import { MessengerConnection } from './messenger-connection.entity';

/** The tenant: every other row of the platform belongs to one bot. */
@Entity('bots')
@Index('ix_bots_created', ['createdAt', 'id'])
@Index('ix_bots_fallback_module', ['fallbackModuleId'], { where: 'fallback_module_id IS NOT NULL' })
export class Bot {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_bots' })
  id!: string;

  @Column({ type: 'varchar', length: 100 })
  name!: string;

  /** Public and unguessable: identifies the bot to the website widget and hosted chat page. */
  @Index('uq_bots_widget_key', { unique: true })
  @Column({ name: 'widget_key', type: 'varchar', length: 64 })
  widgetKey!: string;

  /**
   * Origins (`https://shop.example`) whose pages may call the widget's Chat API; empty (the
   * default) allows any site, since the widget key is public anyway. The hosted page always may.
   */
  @Column({ name: 'widget_allowed_origins', type: 'text', array: true, default: () => "'{}'" })
  widgetAllowedOrigins!: string[];

  /** Creator content answered when no referral applies (Get Started, unknown or inactive refs). */
  @Column({ type: 'jsonb' })
  welcome!: Content;

  /** Module instance that answers ordinary messages; none means they are logged, not answered. */
  @Column({ name: 'fallback_module_id', type: 'uuid', nullable: true })
  fallbackModuleId!: string | null;

  // Named, not imported: modules live above bots in the module map. A module in use as a fallback
  // cannot be deleted (MODULE_IN_USE); SET NULL covers the bot's own cascade.
  @ManyToOne('ModuleInstance', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'fallback_module_id', foreignKeyConstraintName: 'fk_bots_fallback_module' })
  fallbackModule?: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt!: Date;

  @OneToOne(() => MessengerConnection, (connection) => connection.bot)
  messenger?: MessengerConnection | null;
}
