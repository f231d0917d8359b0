import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { type Page, PageOf, PageQueryDto } from '../common/pagination';
import { CreateSegmentDto } from './dto/create-segment.dto';
import { SegmentDto, SegmentMemberDto } from './dto/segment.dto';
import { SegmentErrors } from './segments.errors';
import { SegmentsService } from './segments.service';

const SegmentPageDto = PageOf(SegmentDto);
const SegmentMemberPageDto = PageOf(SegmentMemberDto);

@ApiTags('Segments')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 404)
@Controller('api/v1/bots/:botId/segments')
export class SegmentsController {
  constructor(private readonly segments: SegmentsService) {}

  @Get()
  @ApiOperation({ summary: "List the bot's segments with their member counts, newest first" })
  @ApiOkResponse({ type: SegmentPageDto })
  @ApiErrors(400)
  list(@BotIdParam() botId: string, @Query() query: PageQueryDto): Promise<Page<SegmentDto>> {
    return this.segments.list(botId, query);
  }

  @Post()
  @ApiOperation({
    summary: 'Create a segment; names are unique per bot, compared case-insensitively',
  })
  @ApiErrors(400, 409)
  create(@BotIdParam() botId: string, @Body() dto: CreateSegmentDto): Promise<SegmentDto> {
    return this.segments.create(botId, dto.name);
  }

  @Get(':segmentId')
  @ApiOperation({ summary: 'Get a segment' })
  get(
    @BotIdParam() botId: string,
    @IdParam('segmentId', SegmentErrors.notFound) segmentId: string,
  ): Promise<SegmentDto> {
    return this.segments.get(botId, segmentId);
  }

  @Get(':segmentId/members')
  @ApiOperation({
    summary: 'List members, latest joined first, with the referral each came through',
  })
  @ApiOkResponse({ type: SegmentMemberPageDto })
  @ApiErrors(400)
  members(
    @BotIdParam() botId: string,
    @IdParam('segmentId', SegmentErrors.notFound) segmentId: string,
    @Query() query: PageQueryDto,
  ): Promise<Page<SegmentMemberDto>> {
    return this.segments.members(botId, segmentId, query);
  }
}
