import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpStatus,
  Post,
  Query,
  Req,
} from '@nestjs/common';
import {
  ApiBody,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiQuery,
  ApiTags,
} from '@nestjs/swagger';
import type { RawBodyRequest } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import { Public } from '../common/http/access.decorators';
import { ApiErrors } from '../common/errors';
import { AppConfig } from '../config';
import { MessengerIntakeService } from './intake/messenger-intake.service';
import { hasValidSignature } from './intake/signature';
import { MessengerErrors } from './messenger.errors';

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

@ApiTags('Webhooks')
@Public()
@Controller('webhooks/messenger')
export class MessengerWebhookController {
  constructor(
    private readonly config: AppConfig,
    private readonly intake: MessengerIntakeService,
  ) {}

  @Get()
  @ApiOperation({
    summary: "Meta's subscription handshake: answers hub.challenge when the verify token matches",
  })
  @ApiQuery({ name: 'hub.mode', example: 'subscribe' })
  @ApiQuery({ name: 'hub.verify_token' })
  @ApiQuery({ name: 'hub.challenge' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The challenge, echoed', schema: { type: 'string' } })
  @ApiErrors(403)
  verify(
    @Query('hub.mode') mode: unknown,
    @Query('hub.verify_token') token: unknown,
    @Query('hub.challenge') challenge: unknown,
  ): string {
    const expected = this.config.messenger.verifyToken;
    if (
      mode !== 'subscribe' ||
      typeof token !== 'string' ||
      !expected ||
      !sameText(token, expected)
    ) {
      throw MessengerErrors.badVerifyToken();
    }
    return typeof challenge === 'string' ? challenge : '';
  }

  @Post()
  @HttpCode(HttpStatus.OK)
  @ApiOperation({
    summary: 'Receives Messenger webhook deliveries',
    description:
      'Signed with X-Hub-Signature-256 over the raw body (403 and nothing stored otherwise). Every item is ' +
      'stored, duplicates skipped, then processed asynchronously; 503 when events cannot be stored, so Meta redelivers.',
  })
  @ApiHeader({
    name: 'X-Hub-Signature-256',
    required: true,
    description: 'sha256=<hex HMAC of the body>',
  })
  @ApiBody({
    schema: { type: 'object', description: 'Meta page envelope: { object: "page", entry: [...] }' },
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'EVENT_RECEIVED',
    schema: { type: 'string', example: 'EVENT_RECEIVED' },
  })
  @ApiErrors(400, 403, 503)
  async receive(
    @Req() request: RawBodyRequest<FastifyRequest>,
    @Headers('x-hub-signature-256') signature: string | undefined,
    @Body() body: unknown,
  ): Promise<string> {
    const secret = this.config.messenger.appSecret;
    if (!secret) throw MessengerErrors.notConfigured();
    if (!request.rawBody || !hasValidSignature(request.rawBody, signature, secret))
      throw MessengerErrors.badSignature();
    await this.intake.receive(body);
    return 'EVENT_RECEIVED';
  }
}
