import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { CreateReferralDto } from './dto/create-referral.dto';
import { ListReferralsQueryDto } from './dto/list-referrals-query.dto';
import { QrQueryDto } from './dto/qr-query.dto';
import { ReferralDto, ReferralPageDto } from './dto/referral.dto';
import { UpdateReferralDto } from './dto/update-referral.dto';
import { ReferralErrors } from './referrals.errors';
import { ReferralsService } from './referrals.service';

const ReferralIdParam = (): ParameterDecorator => IdParam('referralId', ReferralErrors.notFound);

@ApiTags('Referrals')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 404)
@Controller('api/v1/bots/:botId/referrals')
export class ReferralsController {
  constructor(private readonly referrals: ReferralsService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a referral',
    description:
      '`content` is required for answerType `message` and not allowed for `module`; `moduleId` the reverse. ' +
      'The segment named `segmentName` is created when the bot has none of that name (compared case-insensitively).',
  })
  @ApiErrors(400, 409)
  create(@BotIdParam() botId: string, @Body() dto: CreateReferralDto): Promise<ReferralDto> {
    return this.referrals.create(botId, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the bot's referrals, newest first, with filters and search" })
  @ApiOkResponse({ type: ReferralPageDto })
  @ApiErrors(400)
  list(
    @BotIdParam() botId: string,
    @Query() query: ListReferralsQueryDto,
  ): Promise<ReferralPageDto> {
    return this.referrals.list(botId, query);
  }

  @Get(':referralId')
  @ApiOperation({ summary: 'Get a referral with its links' })
  get(@BotIdParam() botId: string, @ReferralIdParam() referralId: string): Promise<ReferralDto> {
    return this.referrals.get(botId, referralId);
  }

  @Patch(':referralId')
  @ApiOperation({
    summary: 'Update a referral',
    description:
      'Changing `trackingParam` makes every link that carries the old value stop resolving to this referral: ' +
      "such links then get the bot's default welcome and their entries are recorded as unknown refs.",
  })
  @ApiErrors(400, 409)
  update(
    @BotIdParam() botId: string,
    @ReferralIdParam() referralId: string,
    @Body() dto: UpdateReferralDto,
  ): Promise<ReferralDto> {
    return this.referrals.update(botId, referralId, dto);
  }

  @Delete(':referralId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a referral',
    description:
      'Its recorded entries are kept for the statistics; its tracking param can be used again.',
  })
  remove(@BotIdParam() botId: string, @ReferralIdParam() referralId: string): Promise<void> {
    return this.referrals.remove(botId, referralId);
  }

  @Get(':referralId/qr')
  @ApiOperation({
    summary: 'A QR code of the Messenger or widget link',
    description:
      '409 MESSENGER_NOT_CONNECTED for the Messenger link while the bot has no Facebook Page.',
  })
  @ApiProduces('image/svg+xml', 'image/png')
  @ApiOkResponse({ description: 'The image', schema: { type: 'string', format: 'binary' } })
  @ApiErrors(400, 409)
  async qr(
    @BotIdParam() botId: string,
    @ReferralIdParam() referralId: string,
    @Query() query: QrQueryDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<string | Buffer> {
    const image = await this.referrals.qr(botId, referralId, query);
    void reply
      .header('content-type', image.contentType)
      .header('cache-control', 'private, max-age=300');
    return image.body;
  }
}
