import { Injectable, Module } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min, ValidateNested } from 'class-validator';
import { type Content, ContentDto } from '../../src/creator';
import {
  type ModuleAnswer,
  type ModuleInstanceView,
  ModulesService,
  ModuleType,
  type ModuleTypeHandler,
} from '../../src/modules';
import { createBot, createModule, createReferral } from '../support/fixtures';
import { startTestApp, type TestApp } from '../support/test-app';

class CountdownConfigDto {
  @ApiProperty({ minimum: 1, maximum: 10 })
  @IsInt()
  @Min(1)
  @Max(10)
  from!: number;

  @ApiPropertyOptional({ type: ContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContentDto)
  after?: ContentDto;
}

/** A module type the app does not have, provided the way the built-in ones are. */
@Injectable()
@ModuleType('countdown')
class CountdownModuleType implements ModuleTypeHandler<CountdownConfigDto> {
  readonly configClass = CountdownConfigDto;

  contentOf(config: CountdownConfigDto): Record<string, Content> {
    return config.after ? { after: config.after } : {};
  }

  enter(instance: ModuleInstanceView<CountdownConfigDto>): ModuleAnswer {
    const count = Array.from({ length: instance.config.from }, (_, i) => instance.config.from - i);
    return { content: { messages: [{ type: 'text', text: count.join('... ') }] } };
  }
}

@Module({ providers: [CountdownModuleType] })
class CountdownModule {}

describe('A module type from outside the modules folder', () => {
  let t: TestApp;
  let botId: string;
  let base: string;

  beforeAll(async () => {
    t = await startTestApp({}, { imports: [CountdownModule] });
    botId = (await createBot(t.admin, 'Countdown bot')).id;
    base = `/api/v1/bots/${botId}/modules`;
  });
  afterAll(() => t.close());

  it('is registered, validated with its own config class and entered through ModulesService', async () => {
    const created = await t.admin.post(base, {
      name: 'Launch',
      type: 'countdown',
      config: { from: 3 },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ type: 'countdown', config: { from: 3 } });
    const answer = await t.app.get(ModulesService).enter(botId, created.body.id);
    expect(answer).toEqual({ content: { messages: [{ type: 'text', text: '3... 2... 1' }] } });

    const invalid = await t.admin.post(base, { name: 'x', type: 'countdown', config: { from: 0 } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.details[0].field).toBe('config.from');
    const unknown = await t.admin.post(base, { name: 'x', type: 'lottery', config: {} });
    expect(unknown.body.details[0].messages).toEqual([
      'unknown module type "lottery"; use one of: countdown, handover, message',
    ]);
  });

  it('gets the same checks on the module ids inside its content, and counts as a use', async () => {
    const foreign = await createModule(t.admin, (await createBot(t.admin, 'Other')).id);
    const target = await createModule(t.admin, botId, { name: 'After the countdown' });
    const after = (moduleId: string): object => ({
      messages: [
        {
          type: 'buttons',
          text: 'Lift-off!',
          buttons: [{ type: 'module', title: 'Next', moduleId }],
        },
      ],
    });
    const refused = await t.admin.post(base, {
      name: 'x',
      type: 'countdown',
      config: { from: 2, after: after(foreign.id) },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.details[0].field).toBe('config.after.messages[0].buttons[0].moduleId');
    const countdown = await createModule(t.admin, botId, {
      name: 'Countdown with a follow-up',
      type: 'countdown',
      config: { from: 2, after: after(target.id.toUpperCase()) },
    });
    const response = await t.admin.delete(`${base}/${target.id}`);
    expect(response.status).toBe(409);
    expect(response.body.details.usedBy).toEqual([
      { kind: 'module', id: countdown.id, name: 'Countdown with a follow-up' },
    ]);
    const referral = await createReferral(t.admin, botId, {
      trackingParam: 'countdown',
      answerType: 'module',
      content: undefined,
      moduleId: countdown.id,
    });
    expect(referral.moduleId).toBe(countdown.id);
  });

  it('documents its config in OpenAPI', async () => {
    const document = (await t.http.get('/docs-json')).body;
    expect(document.components.schemas.ModuleConfig.anyOf).toEqual([
      { $ref: '#/components/schemas/CountdownConfigDto' },
      { $ref: '#/components/schemas/HandoverModuleConfigDto' },
      { $ref: '#/components/schemas/MessageModuleConfigDto' },
    ]);
    expect(document.components.schemas.CountdownConfigDto.properties.from).toMatchObject({
      minimum: 1,
      maximum: 10,
    });
  });
});
