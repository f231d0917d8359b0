import { Body, Controller, Post } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import {
  ApiPropertyOptional,
  DocumentBuilder,
  type OpenAPIObject,
  SwaggerModule,
} from '@nestjs/swagger';
import { Test } from '@nestjs/testing';
import { Type } from 'class-transformer';
import { IsOptional, ValidateNested } from 'class-validator';
import { ContentDto } from './content.dto';

// The Swagger plugin only reads *.dto.ts files, so this one says by hand what it would infer.
class AnswerDto {
  @ApiPropertyOptional({ type: ContentDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => ContentDto)
  content?: ContentDto;
}

@Controller('answers')
class AnswersController {
  @Post()
  create(@Body() body: AnswerDto): AnswerDto {
    return body;
  }
}

const ref = (name: string): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

describe('ContentDto in OpenAPI', () => {
  let schemas: NonNullable<OpenAPIObject['components']>['schemas'];

  beforeAll(async () => {
    const module = await Test.createTestingModule({ controllers: [AnswersController] }).compile();
    const app = module.createNestApplication(new FastifyAdapter());
    schemas = SwaggerModule.createDocument(app, new DocumentBuilder().build()).components?.schemas;
    await app.close();
  });

  it('documents messages as a oneOf told apart by type', () => {
    expect(schemas?.ContentDto).toEqual({
      type: 'object',
      properties: {
        messages: {
          type: 'array',
          minItems: 1,
          maxItems: 10,
          items: {
            oneOf: [
              ref('TextMessageDto'),
              ref('ImageMessageDto'),
              ref('ButtonsMessageDto'),
              ref('QuickRepliesMessageDto'),
            ],
            discriminator: {
              propertyName: 'type',
              mapping: {
                text: ref('TextMessageDto').$ref,
                image: ref('ImageMessageDto').$ref,
                buttons: ref('ButtonsMessageDto').$ref,
                quickReplies: ref('QuickRepliesMessageDto').$ref,
              },
            },
          },
        },
      },
      required: ['messages'],
    });
  });

  it('documents buttons the same way, and each type as a single value', () => {
    const buttons = schemas?.ButtonsMessageDto as { properties: Record<string, unknown> };
    expect(buttons.properties.buttons).toMatchObject({
      type: 'array',
      minItems: 1,
      maxItems: 3,
      items: {
        oneOf: [ref('UrlButtonDto'), ref('ModuleButtonDto')],
        discriminator: { propertyName: 'type' },
      },
    });
    expect(buttons.properties.type).toEqual({ type: 'string', enum: ['buttons'] });
    expect(schemas?.ModuleButtonDto).toMatchObject({
      properties: {
        type: { type: 'string', enum: ['module'] },
        title: { type: 'string', minLength: 1, maxLength: 20 },
        moduleId: { type: 'string', format: 'uuid' },
      },
      required: expect.arrayContaining(['type', 'title', 'moduleId']),
    });
    expect(schemas?.QuickRepliesMessageDto).toMatchObject({
      properties: {
        text: { type: 'string', minLength: 1, maxLength: 2000 },
        replies: { type: 'array', minItems: 1, maxItems: 13, items: ref('QuickReplyDto') },
      },
    });
  });

  it('can be nested in another DTO', () => {
    expect(schemas?.AnswerDto).toEqual({
      type: 'object',
      properties: { content: ref('ContentDto') },
    });
  });
});
