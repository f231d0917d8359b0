import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { ApiKeysService } from './api-keys.service';
import { AdminOnly } from '../common/http/access.decorators';
import { AuthErrors } from './auth.errors';
import { ApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';
import { CreateApiKeyDto } from './dto/create-api-key.dto';

@ApiTags('API keys')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 403, 404)
@AdminOnly()
@Controller('api/v1/bots/:botId/api-keys')
export class ApiKeysController {
  constructor(private readonly apiKeys: ApiKeysService) {}

  @Post()
  @ApiOperation({ summary: 'Create a bot API key (admin). The key is in this response only.' })
  @ApiErrors(400)
  create(@BotIdParam() botId: string, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.apiKeys.create(botId, dto.name);
  }

  @Get()
  @ApiOperation({ summary: "List a bot's API keys, revoked ones included (admin)" })
  list(@BotIdParam() botId: string): Promise<ApiKeyDto[]> {
    return this.apiKeys.list(botId);
  }

  @Delete(':keyId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({ summary: 'Revoke an API key (admin); it answers 401 from then on' })
  revoke(
    @BotIdParam() botId: string,
    @IdParam('keyId', AuthErrors.apiKeyNotFound) keyId: string,
  ): Promise<void> {
    return this.apiKeys.revoke(botId, keyId);
  }
}
