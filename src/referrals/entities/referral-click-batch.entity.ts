import { CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * Click batches written, by the id the click buffer gave them: a batch whose commit was not
 * acknowledged (the connection dropped after COMMIT) is retried under the same id and skipped
 * if it is here, so no click is counted twice. Rows older than a day are deleted.
 */
@Entity('referral_click_batches')
@Index('ix_referral_click_batches_written', ['writtenAt'])
export class ReferralClickBatch {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'pk_referral_click_batches' })
  id!: string;

  @CreateDateColumn({ name: 'written_at', type: 'timestamptz', precision: 3 })
  writtenAt!: Date;
}
