import { Controller, Get, Query, Res, StreamableFile } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiExtraModels,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  getSchemaPath,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiBotScoped, BotIdParam } from '../../bots';
import { ApiErrors } from '../../common/errors';
import { IdParam } from '../../common/http/id-param';
import { ReferralErrors } from '../referrals.errors';
import {
  ReferralEntryPageDto,
  ReferralOverviewPageDto,
  ReferralStatsDto,
} from './dto/referral-stats.dto';
import {
  ReferralEntriesQueryDto,
  ReferralOverviewQueryDto,
  ReferralStatsQueryDto,
} from './dto/stats-query.dto';
import { ReferralStatsService } from './referral-stats.service';

const ReferralIdParam = (): ParameterDecorator => IdParam('referralId', ReferralErrors.notFound);

const RANGE_ERRORS =
  '400 VALIDATION_FAILED for a malformed parameter, STATS_INVALID_RANGE for a date that is not one or ' +
  '`from` not before `to`, STATS_UNKNOWN_TIME_ZONE, STATS_RANGE_TOO_LONG.';

@ApiTags('Referral statistics')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(400, 401, 404)
@Controller('api/v1/bots/:botId/referrals')
export class ReferralStatsController {
  constructor(private readonly stats: ReferralStatsService) {}

  @Get('stats')
  @ApiOperation({
    summary: 'Campaign overview: every referral with its funnel totals',
    description:
      'Totals over [from, to) (whole 15-minute buckets), sortable by any count, paginated. ' +
      RANGE_ERRORS,
  })
  @ApiOkResponse({ type: ReferralOverviewPageDto })
  overview(
    @BotIdParam() botId: string,
    @Query() query: ReferralOverviewQueryDto,
  ): Promise<ReferralOverviewPageDto> {
    return this.stats.overview(botId, query);
  }

  @Get(':referralId/stats')
  @ApiOperation({
    summary: "A referral's funnel: totals, series, and by source, channel and ad",
    description:
      'From clicks on the tracked link to engaged contacts, read from rollups. `series` has one bucket per ' +
      'interval, zero-filled, cut at local hours, midnights or Mondays of `timeZone` (DST included). ' +
      RANGE_ERRORS,
  })
  @ApiOkResponse({ type: ReferralStatsDto })
  referralStats(
    @BotIdParam() botId: string,
    @ReferralIdParam() referralId: string,
    @Query() query: ReferralStatsQueryDto,
  ): Promise<ReferralStatsDto> {
    return this.stats.referralStats(botId, referralId, query);
  }

  @Get(':referralId/entries')
  @ApiOperation({
    summary: "The referral's entries, newest first; `format=csv` streams them all as CSV",
    description: RANGE_ERRORS,
  })
  @ApiProduces('application/json', 'text/csv')
  @ApiExtraModels(ReferralEntryPageDto)
  @ApiOkResponse({
    content: {
      'application/json': { schema: { $ref: getSchemaPath(ReferralEntryPageDto) } },
      'text/csv': { schema: { type: 'string' } },
    },
  })
  async entries(
    @BotIdParam() botId: string,
    @ReferralIdParam() referralId: string,
    @Query() query: ReferralEntriesQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<ReferralEntryPageDto | StreamableFile> {
    if (query.format !== 'csv') return this.stats.entries(botId, referralId, query);
    const csv = await this.stats.entriesCsv(botId, referralId, query);
    void reply.header('cache-control', 'no-store');
    return new StreamableFile(csv, {
      type: 'text/csv; charset=utf-8',
      disposition: `attachment; filename="referral-${referralId}-entries.csv"`,
    });
  }
}
