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
} from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiBotScoped, BotIdParam } from '../bots';
import { ApiErrors } from '../common/errors';
import { IdParam } from '../common/http/id-param';
import { type Page, PageOf } from '../common/pagination';
import { CreateModuleDto } from './dto/create-module.dto';
import { ListModulesQueryDto } from './dto/list-modules-query.dto';
import { ModuleInstanceDto } from './dto/module-instance.dto';
import { UpdateModuleDto } from './dto/update-module.dto';
import { ModuleErrors } from './modules.errors';
import { ModulesService } from './modules.service';

const ModuleInstancePageDto = PageOf(ModuleInstanceDto);
const ModuleIdParam = (): ParameterDecorator => IdParam('moduleId', ModuleErrors.notFound);

@ApiTags('Modules')
@ApiBearerAuth()
@ApiBotScoped()
@ApiErrors(401, 404)
@Controller('api/v1/bots/:botId/modules')
export class ModulesController {
  constructor(private readonly modules: ModulesService) {}

  @Post()
  @ApiOperation({
    summary: 'Create a module instance',
    description: 'Every `moduleId` inside the config must be a module instance of the same bot.',
  })
  @ApiErrors(400)
  create(@BotIdParam() botId: string, @Body() dto: CreateModuleDto): Promise<ModuleInstanceDto> {
    return this.modules.create(botId, dto);
  }

  @Get()
  @ApiOperation({ summary: "List the bot's module instances, newest first" })
  @ApiOkResponse({ type: ModuleInstancePageDto })
  @ApiErrors(400)
  list(
    @BotIdParam() botId: string,
    @Query() query: ListModulesQueryDto,
  ): Promise<Page<ModuleInstanceDto>> {
    return this.modules.list(botId, query);
  }

  @Get(':moduleId')
  @ApiOperation({ summary: 'Get a module instance' })
  get(@BotIdParam() botId: string, @ModuleIdParam() moduleId: string): Promise<ModuleInstanceDto> {
    return this.modules.get(botId, moduleId);
  }

  @Patch(':moduleId')
  @ApiOperation({
    summary: 'Rename a module instance or replace its config (its type cannot change)',
  })
  @ApiErrors(400)
  update(
    @BotIdParam() botId: string,
    @ModuleIdParam() moduleId: string,
    @Body() dto: UpdateModuleDto,
  ): Promise<ModuleInstanceDto> {
    return this.modules.update(botId, moduleId, dto);
  }

  @Delete(':moduleId')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiOperation({
    summary: 'Delete a module instance',
    description:
      '409 MODULE_IN_USE while a referral, another module instance, or the bot (welcome, fallback) uses it; ' +
      '`details.usedBy` names each user.',
  })
  @ApiErrors(409)
  remove(@BotIdParam() botId: string, @ModuleIdParam() moduleId: string): Promise<void> {
    return this.modules.remove(botId, moduleId);
  }
}
