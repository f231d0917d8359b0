import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ContentDto } from '../../creator';
import { ANSWER_TYPES, type AnswerType } from '../entities/referral.entity';

export class ReferralLinksDto {
  @ApiProperty({
    type: String,
    nullable: true,
    example: 'https://m.me/acme.shoes?ref=spring-sale',
    description:
      '`https://m.me/<page username or id>?ref=<trackingParam>`; null until a Facebook Page is connected.',
  })
  messenger!: string | null;

  @ApiPropertyOptional({
    enum: ['MESSENGER_NOT_CONNECTED'],
    description: 'Why `messenger` is null.',
  })
  messengerUnavailableReason?: 'MESSENGER_NOT_CONNECTED';

  /** The hosted chat page: `<PUBLIC_BASE_URL>/chat/<widgetKey>?ref=<trackingParam>`. */
  widget!: string;

  /** A click-counting redirect: `<PUBLIC_BASE_URL>/r/<botId>/<trackingParam>`. */
  tracked!: string;
}

export class ReferralSegmentDto {
  id!: string;
  name!: string;
}

export class ReferralDto {
  id!: string;
  trackingParam!: string;

  @ApiProperty({ enum: ANSWER_TYPES })
  answerType!: AnswerType;

  @ApiProperty({
    type: ContentDto,
    nullable: true,
    description: 'Set when answerType is `message`.',
  })
  content!: ContentDto | null;

  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Set when answerType is `module`.',
  })
  moduleId!: string | null;

  segment!: ReferralSegmentDto;

  @ApiProperty({ type: String, nullable: true })
  description!: string | null;

  active!: boolean;
  links!: ReferralLinksDto;
  createdAt!: Date;
  updatedAt!: Date;
}

export class ReferralPageDto {
  @ApiProperty({ type: ReferralDto, isArray: true })
  items!: ReferralDto[];

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Pass as `cursor` for the next page; null on the last.',
  })
  nextCursor!: string | null;

  /** Referrals matching the filters, over all pages. */
  total!: number;
}
