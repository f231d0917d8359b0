import { ValidationPipe } from '@nestjs/common';
import { plainToInstance, Type } from 'class-transformer';
import { IsOptional, validate, ValidateNested } from 'class-validator';
import {
  AppError,
  type FieldIssue,
  flattenValidationErrors,
  validationException,
} from '../../common/errors';
import { ContentDto, TextMessageDto } from './content.dto';

const MODULE_A = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';
const MESSAGE_TYPE = 'type must be one of the following values: text, image, buttons, quickReplies';
const BUTTON_TYPE = 'type must be one of the following values: url, module';

async function issues(input: object): Promise<FieldIssue[]> {
  const dto = plainToInstance(ContentDto, input);
  return flattenValidationErrors(
    await validate(dto, { whitelist: true, forbidNonWhitelisted: true }),
  );
}

const withButtons = (...buttons: unknown[]): object => ({
  messages: [{ type: 'buttons', text: 'Pick', buttons }],
});

describe('ContentDto shape', () => {
  it('rejects a message of an unknown or missing type at its type, ignoring its other fields', async () => {
    const input = {
      messages: [
        { type: 'text', text: 'ok' },
        { type: 'video', url: 'https://example.com/v.mp4' },
        { text: 'no type' },
        { type: 'constructor' },
        { type: 'TEXT', text: 'case matters' },
      ],
    };
    expect(await issues(input)).toEqual([
      { field: 'messages[1].type', messages: [MESSAGE_TYPE] },
      { field: 'messages[2].type', messages: [MESSAGE_TYPE] },
      { field: 'messages[3].type', messages: [MESSAGE_TYPE] },
      { field: 'messages[4].type', messages: [MESSAGE_TYPE] },
    ]);
  });

  it('rejects a button of an unknown type at its type', async () => {
    const input = withButtons(
      { type: 'url', title: 'Go', url: 'https://example.com' },
      { type: 'phone_number', title: 'Call', payload: '+123' },
    );
    expect(await issues(input)).toEqual([
      { field: 'messages[0].buttons[1].type', messages: [BUTTON_TYPE] },
    ]);
  });

  it('rejects unknown properties at every level', async () => {
    const input = {
      messages: [
        { type: 'text', text: 'Hi', color: 'red' },
        {
          type: 'buttons',
          text: 'Pick',
          buttons: [
            { type: 'url', title: 'Go', url: 'https://example.com' },
            { type: 'module', title: 'Start', moduleId: MODULE_A, payload: 'x' },
          ],
        },
        { type: 'quickReplies', text: 'Pick', replies: [{ title: 'A', moduleId: MODULE_A, x: 1 }] },
      ],
      extra: true,
    };
    expect(await issues(input)).toEqual([
      { field: 'extra', messages: ['property extra should not exist'] },
      { field: 'messages[0].color', messages: ['property color should not exist'] },
      { field: 'messages[1].buttons[1].payload', messages: ['property payload should not exist'] },
      { field: 'messages[2].replies[0].x', messages: ['property x should not exist'] },
    ]);
  });

  it('rejects elements that are not objects without throwing', async () => {
    const notObjects = [null, 1, 'text', []];
    const content = await issues({ messages: notObjects });
    expect(content.map((i) => i.field)).toEqual([
      'messages',
      'messages[0]',
      'messages[1]',
      'messages[2]',
    ]);
    expect(content[0].messages).toEqual(['each value in messages must be an object']);
    const buttons = await issues(withButtons(null));
    expect(buttons[0]).toEqual({
      field: 'messages[0].buttons',
      messages: ['each value in buttons must be an object'],
    });
    const replies = await issues({
      messages: [{ type: 'quickReplies', text: 'a', replies: [[]] }],
    });
    expect(replies).toEqual([
      { field: 'messages[0].replies', messages: ['each value in replies must be an object'] },
    ]);
  });

  describe('nested in another DTO behind the global ValidationPipe', () => {
    class ParentDto {
      @IsOptional()
      @ValidateNested()
      @Type(() => ContentDto)
      content?: ContentDto;
    }

    const pipe = new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      exceptionFactory: validationException,
    });
    const run = (body: unknown): Promise<unknown> =>
      pipe.transform(body, { type: 'body', metatype: ParentDto });

    it('builds the DTO classes', async () => {
      const parent = (await run({ content: { messages: [{ type: 'text', text: 'Hi' }] } })) as {
        content: ContentDto;
      };
      expect(parent.content).toBeInstanceOf(ContentDto);
      expect(parent.content.messages[0]).toBeInstanceOf(TextMessageDto);
    });

    it('answers a 400 with field paths, also for a null message', async () => {
      const body = { content: { messages: [null, { type: 'gif' }] } };
      const error = await run(body).then(
        () => null,
        (caught: unknown) => caught,
      );
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).getStatus()).toBe(400);
      expect((error as AppError).details).toEqual([
        { field: 'content.messages', messages: ['each value in messages must be an object'] },
        {
          field: 'content.messages[0]',
          messages: ['each value in nested property messages must be either object or array'],
        },
        { field: 'content.messages[1].type', messages: [MESSAGE_TYPE] },
      ]);
    });
  });
});
