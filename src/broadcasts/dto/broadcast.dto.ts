import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { PageQueryDto } from '../../common/pagination';
import { BROADCAST_STATUSES, type BroadcastStatus } from '../entities/broadcast.entity';
import { RECIPIENT_STATUSES, type RecipientStatus } from '../entities/broadcast-recipient.entity';
import { SKIP_REASONS } from '../messaging-policy';

export class BroadcastAudienceDto {
  include!: string[];
  intersect!: string[];
  exclude!: string[];
}

export class BroadcastCountsDto {
  /** Recipients materialised so far (the whole audience once `sending` has started it). */
  total!: number;
  pending!: number;
  sent!: number;
  failed!: number;
  skipped!: number;
  /**
   * Of those sent, how many Meta's delivery (or read) watermarks cover: the person's device got
   * the message. Receipts come from Messenger only, so other channels' sends never count here.
   */
  delivered!: number;
  /** Of those sent, how many Meta's read watermarks cover. */
  read!: number;
}

export class BroadcastDto {
  id!: string;
  name!: string;
  @ApiProperty({ enum: BROADCAST_STATUSES })
  status!: BroadcastStatus;
  audience!: BroadcastAudienceDto;
  /** The Creator content as given. */
  @ApiProperty({ type: Object })
  content!: Record<string, unknown>;
  sendAt!: Date;
  @ApiProperty({ type: String, nullable: true })
  messageTag!: string | null;
  @ApiProperty({ type: String, nullable: true })
  notificationTopic!: string | null;
  counts!: BroadcastCountsDto;
  createdAt!: Date;
  @ApiProperty({ type: String, format: 'date-time', nullable: true })
  completedAt!: Date | null;
}

export class BroadcastPreviewDto {
  /** Contacts in the audience. */
  total!: number;
  /** Of them, those a send would go to now. */
  reachable!: number;
  /** Those that would be skipped, by reason (only reasons that occur). */
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'integer' },
    description: `Keys among ${SKIP_REASONS.join(', ')}`,
  })
  skipped!: Record<string, number>;
}

export class RecipientDto {
  contactId!: string;
  @ApiProperty({ enum: RECIPIENT_STATUSES })
  status!: RecipientStatus;
  /** Why it was skipped (OUTSIDE_WINDOW, OPTED_OUT, ...) or failed (SEND_FAILED). */
  @ApiProperty({ type: String, nullable: true })
  reason!: string | null;
  /** Meta's `error.code` of a failed send. */
  @ApiProperty({ type: Number, nullable: true })
  errorCode!: number | null;
  @ApiProperty({ type: Number, nullable: true })
  errorSubcode!: number | null;
  @ApiProperty({ type: String, nullable: true })
  errorMessage!: string | null;
  /** UPDATE, MESSAGE_TAG or NOTIFICATION. */
  @ApiProperty({ type: String, nullable: true })
  sentAs!: string | null;
  attempts!: number;
  updatedAt!: Date;
}

export class RecipientsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: RECIPIENT_STATUSES })
  @IsOptional()
  @IsIn(RECIPIENT_STATUSES)
  status?: RecipientStatus;
}
