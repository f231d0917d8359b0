import { ApiProperty } from '@nestjs/swagger';
import { CHANNELS, SUBSCRIPTION_STATUSES, SUBSCRIPTION_TYPES } from '../../contacts';

/** One id a channel knows the contact by. */
export class ContactIdentityDto {
  @ApiProperty({ enum: CHANNELS })
  channel!: string;

  /** The channel's id: a Messenger PSID or plugin user_ref, a widget visitor id. */
  externalId!: string;

  @ApiProperty({ enum: ['psid', 'user_ref', 'visitor'] })
  externalIdKind!: string;

  /** True for the id the bot sends to; linked ids (a checkbox plugin's user_ref) are false. */
  primary!: boolean;

  /** When the bot first knew the contact by this id. */
  since!: Date;
}

/**
 * A marketing-message (`notification_messages`) or one-time notification (`one_time_notif_req`)
 * subscription from a Messenger opt-in. The token Meta issued is stored encrypted and never shown.
 */
export class ContactSubscriptionDto {
  id!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: string;

  @ApiProperty({ enum: SUBSCRIPTION_TYPES })
  type!: string;

  /** Meta's opt-in `payload`: the topic the contact subscribed to ('' when none was given). */
  topic!: string;

  @ApiProperty({ type: String, nullable: true, description: "Meta's opt-in `title`." })
  title!: string | null;

  @ApiProperty({
    enum: SUBSCRIPTION_STATUSES,
    description: '`stopped` after STOP_NOTIFICATIONS, `active` again after RESUME_NOTIFICATIONS.',
  })
  status!: string;

  @ApiProperty({ type: String, nullable: true, example: 'WEEKLY' })
  frequency!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Europe/Berlin' })
  timezone!: string | null;

  @ApiProperty({ type: Date, nullable: true, description: 'When the token stops being usable.' })
  tokenExpiresAt!: Date | null;

  @ApiProperty({ type: String, nullable: true, description: "Meta's `user_token_status`." })
  userTokenStatus!: string | null;

  /** Time of the opt-in event that set the current status. */
  statusChangedAt!: Date;

  createdAt!: Date;
}

/** A referral entry of the contact. */
export class ContactReferralDto {
  @ApiProperty({
    type: String,
    format: 'uuid',
    nullable: true,
    description: 'Null when the ref matched no referral (or the referral was deleted).',
  })
  referralId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  trackingParam!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'The ref as the link carried it.' })
  rawRef!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'SHORTLINK' })
  source!: string | null;

  occurredAt!: Date;
}

export class ContactDto {
  id!: string;

  @ApiProperty({ enum: CHANNELS })
  channel!: string;

  @ApiProperty({ type: String, nullable: true })
  firstName!: string | null;

  @ApiProperty({ type: String, nullable: true })
  lastName!: string | null;

  firstSeenAt!: Date;
  lastSeenAt!: Date;

  /** The contact's own id first, then linked ones. */
  @ApiProperty({ type: [ContactIdentityDto] })
  identities!: ContactIdentityDto[];

  @ApiProperty({ type: [ContactSubscriptionDto] })
  subscriptions!: ContactSubscriptionDto[];

  @ApiProperty({ type: ContactReferralDto, nullable: true })
  firstReferral!: ContactReferralDto | null;

  @ApiProperty({ type: ContactReferralDto, nullable: true })
  lastReferral!: ContactReferralDto | null;
}
