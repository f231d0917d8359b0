import { ApiProperty } from '@nestjs/swagger';

export class SegmentDto {
  id!: string;
  name!: string;
  /** Contacts in the segment now. */
  memberCount!: number;
  createdAt!: Date;
}

export class SegmentReferralDto {
  id!: string;
  /** The tracking param the contact used (the referral may have been renamed since). */
  @ApiProperty({ type: String, nullable: true })
  trackingParam!: string | null;
}

export class SegmentMemberDto {
  contactId!: string;
  /** `messenger` or `widget`. */
  channel!: string;

  @ApiProperty({ type: String, nullable: true })
  firstName!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastName!: string | null;

  joinedAt!: Date;

  @ApiProperty({
    type: SegmentReferralDto,
    nullable: true,
    description: 'The referral the contact joined through.',
  })
  referral!: SegmentReferralDto | null;
}
