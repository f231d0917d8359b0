import { ApiProperty } from '@nestjs/swagger';
import { PageOf } from '../../../common/pagination';
import { INTERVALS, type StatsInterval } from './stats-query.dto';

/** The funnel's counts. */
export class FunnelCountsDto {
  @ApiProperty({ description: 'Human clicks on the tracked link.' })
  clicks!: number;
  @ApiProperty({
    description: 'Distinct clickers per UTC day (a clicker is a daily hash of IP and User-Agent).',
  })
  uniqueClicks!: number;
  @ApiProperty({
    description:
      'Crawlers and link previews (per isbot), HEAD requests and requests without a User-Agent.',
  })
  botClicks!: number;
  @ApiProperty({
    description: 'Entries into the bot through the referral, from any link or channel.',
  })
  entries!: number;
  @ApiProperty({ description: 'Contacts entering through the referral for the first time.' })
  uniqueContacts!: number;
  @ApiProperty({ description: 'Of uniqueContacts, those new to the bot.' })
  newContacts!: number;
  @ApiProperty({ description: 'Of uniqueContacts, those who knew the bot already.' })
  returningContacts!: number;
  @ApiProperty({ description: "Answers to the referral's entries the channel accepted." })
  answersSent!: number;
  @ApiProperty({
    description:
      "Of those, delivered (Messenger's delivery or read watermarks, the widget's receipts).",
  })
  answersDelivered!: number;
  @ApiProperty({
    description: "Of those, read (Messenger's read watermarks, the widget's read receipts).",
  })
  answersRead!: number;
  @ApiProperty({
    description:
      'Contacts who, within 24 hours of entering, sent a message or tapped a quick reply or button; counted where they first entered.',
  })
  engagedContacts!: number;
}

/** Rates between the funnel's steps: null when the step before counted nothing. */
export class FunnelRatesDto {
  @ApiProperty({ type: Number, nullable: true, description: 'entries / clicks' })
  entriesPerClick!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'newContacts / uniqueContacts' })
  newContactRate!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'answersSent / entries' })
  answerRate!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'answersDelivered / answersSent' })
  deliveryRate!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'answersRead / answersDelivered' })
  readRate!: number | null;
  @ApiProperty({ type: Number, nullable: true, description: 'engagedContacts / uniqueContacts' })
  engagementRate!: number | null;
}

export class FunnelTotalsDto extends FunnelCountsDto {
  @ApiProperty({ type: FunnelRatesDto })
  rates!: FunnelRatesDto;
}

export class SeriesBucketDto extends FunnelCountsDto {
  @ApiProperty({
    description: 'Start of the bucket in local time of `timeZone`, with its offset.',
    example: '2026-11-28T00:00:00+13:00',
  })
  start!: string;
}

export class SourceStatsDto extends FunnelCountsDto {
  @ApiProperty({
    type: String,
    nullable: true,
    description:
      'SHORTLINK, ADS, CUSTOMER_CHAT_PLUGIN, WIDGET_LINK, OPTIN, ... as the channel sent it; null if none.',
  })
  source!: string | null;
}

export class ChannelStatsDto extends FunnelCountsDto {
  @ApiProperty({ example: 'messenger' })
  channel!: string;
}

export class AdStatsDto extends FunnelCountsDto {
  @ApiProperty()
  adId!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    description: "The ad's `ads_context_data.ad_title`.",
  })
  title!: string | null;
}

export class ReferralStatsDto {
  @ApiProperty({ format: 'uuid' })
  referralId!: string;
  @ApiProperty({ description: 'Start of the first bucket (local time with offset).' })
  from!: string;
  @ApiProperty({ description: 'End of the range, exclusive (local time with offset).' })
  to!: string;
  @ApiProperty({ enum: INTERVALS })
  interval!: StatsInterval;
  @ApiProperty()
  timeZone!: string;
  @ApiProperty({ type: FunnelTotalsDto })
  totals!: FunnelTotalsDto;
  @ApiProperty({ type: SeriesBucketDto, isArray: true })
  series!: SeriesBucketDto[];
  @ApiProperty({
    type: SourceStatsDto,
    isArray: true,
    description: 'Entry-side counts per source (clicks are 0).',
  })
  bySource!: SourceStatsDto[];
  @ApiProperty({ type: ChannelStatsDto, isArray: true })
  byChannel!: ChannelStatsDto[];
  @ApiProperty({ type: AdStatsDto, isArray: true })
  byAd!: AdStatsDto[];
}

export class ReferralRefDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;
  @ApiProperty()
  trackingParam!: string;
  @ApiProperty()
  active!: boolean;
}

export class ReferralOverviewItemDto {
  @ApiProperty({ type: ReferralRefDto })
  referral!: ReferralRefDto;
  @ApiProperty({ type: FunnelTotalsDto })
  totals!: FunnelTotalsDto;
}

export class ReferralOverviewPageDto extends PageOf(ReferralOverviewItemDto) {}

export class ReferralEntryDto {
  @ApiProperty({ description: 'Entry id.' })
  id!: string;
  @ApiProperty({ format: 'uuid' })
  contactId!: string;
  @ApiProperty({ format: 'date-time' })
  occurredAt!: Date;
  @ApiProperty({ type: String, nullable: true })
  source!: string | null;
  @ApiProperty({ example: 'messenger' })
  channel!: string;
  @ApiProperty({ type: String, nullable: true })
  adId!: string | null;
  @ApiProperty({ type: String, nullable: true })
  adTitle!: string | null;
  @ApiProperty({
    enum: ['new', 'returning'],
    description: 'Whether the contact was new to the bot.',
  })
  contactStatus!: 'new' | 'returning';
}

export class ReferralEntryPageDto extends PageOf(ReferralEntryDto) {}
