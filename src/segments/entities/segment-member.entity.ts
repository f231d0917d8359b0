import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Contact } from '../../contacts';
import { Segment } from './segment.entity';

/** A contact in a segment, with when and through which referral it joined. */
@Entity('segment_members')
@Index('ix_segment_members_bot_contact', ['botId', 'contactId'])
@Index('ix_segment_members_segment_joined', ['segmentId', 'joinedAt', 'contactId'])
@Index('ix_segment_members_contact', ['contactId'])
@Index('ix_segment_members_referral', ['referralId'], { where: 'referral_id IS NOT NULL' })
export class SegmentMember {
  @PrimaryColumn({
    name: 'segment_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_segment_members',
  })
  segmentId!: string;

  @PrimaryColumn({
    name: 'contact_id',
    type: 'uuid',
    primaryKeyConstraintName: 'pk_segment_members',
  })
  contactId!: string;

  @ManyToOne(() => Segment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'segment_id', foreignKeyConstraintName: 'fk_segment_members_segment' })
  segment?: Segment;

  @ManyToOne(() => Contact, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'contact_id', foreignKeyConstraintName: 'fk_segment_members_contact' })
  contact?: Contact;

  @Column({ name: 'bot_id', type: 'uuid' })
  botId!: string;

  @Column({ name: 'joined_at', type: 'timestamptz', precision: 3 })
  joinedAt!: Date;

  /** The referral the contact came through (soft-deleted ones included). */
  @Column({ name: 'referral_id', type: 'uuid', nullable: true })
  referralId!: string | null;

  // Named, not imported: referrals live above segments in the module map.
  @ManyToOne('Referral', { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'referral_id', foreignKeyConstraintName: 'fk_segment_members_referral' })
  referral?: unknown;

  /** The tracking param at the time of joining, so renamed referrals still read true. */
  @Column({ name: 'tracking_param', type: 'varchar', length: 100, nullable: true })
  trackingParam!: string | null;
}
