import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { type MessagingItemType } from '../intake/classify';

export type InboxStatus = 'pending' | 'processed' | 'ignored' | 'failed';

/**
 * Every webhook item Meta delivered, stored before the webhook answers 200 so nothing is lost when
 * Redis or a worker is down. The dedupe key makes a redelivery a no-op.
 */
@Entity('messenger_inbox')
@Index('uq_messenger_inbox_dedupe', ['dedupeKey'], { unique: true })
// Only for statements bounding received_at (the sweeper's), not the contacts' pending read:
// migration 1796560000000-InboxSweepIndex says why.
@Index('ix_messenger_inbox_pending', ['receivedAt', 'id'], {
  where: "status = 'pending' AND received_at IS NOT NULL",
})
@Index('ix_messenger_inbox_contact_pending', ['pageId', 'senderKey', 'occurredAt', 'id'], {
  where: "status = 'pending'",
})
export class InboxItem {
  @PrimaryGeneratedColumn('increment', {
    type: 'bigint',
    primaryKeyConstraintName: 'pk_messenger_inbox',
  })
  id!: string;

  @Column({ name: 'dedupe_key', type: 'varchar', length: 500 })
  dedupeKey!: string;

  @Column({ name: 'page_id', type: 'varchar', length: 32 })
  pageId!: string;

  /** The bot the page was connected to when the item arrived; null for unknown pages. */
  @Column({ name: 'bot_id', type: 'uuid', nullable: true })
  botId!: string | null;

  @Column({ name: 'sender_key', type: 'varchar', length: 300, nullable: true })
  senderKey!: string | null;

  @Column({ type: 'varchar', length: 16 })
  kind!: MessagingItemType;

  @Column({ type: 'boolean', default: false })
  standby!: boolean;

  @Column({ name: 'occurred_at', type: 'timestamptz', precision: 3 })
  occurredAt!: Date;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'varchar', length: 12 })
  status!: InboxStatus;

  /** Why the item was ignored or failed. */
  @Column({ type: 'text', nullable: true })
  note!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', precision: 3, default: () => 'now()' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', precision: 3, nullable: true })
  processedAt!: Date | null;
}
