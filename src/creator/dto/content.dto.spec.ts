import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { type FieldIssue, flattenValidationErrors } from '../../common/errors';
import {
  ButtonsMessageDto,
  ContentDto,
  ImageMessageDto,
  ModuleButtonDto,
  QuickRepliesMessageDto,
  QuickReplyDto,
  TextMessageDto,
  UrlButtonDto,
} from './content.dto';

const MODULE_A = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';

async function issues(input: object): Promise<FieldIssue[]> {
  const dto = plainToInstance(ContentDto, input);
  return flattenValidationErrors(
    await validate(dto, { whitelist: true, forbidNonWhitelisted: true }),
  );
}

const one = (message: unknown): object => ({ messages: [message] });
const text = (value: string): object => ({ type: 'text', text: value });
const image = (url: string): object => ({ type: 'image', url });
const urlButton = (title = 'Open', url = 'https://example.com/a'): object => ({
  type: 'url',
  title,
  url,
});
const moduleButton = (title = 'Start', moduleId = MODULE_A): object => ({
  type: 'module',
  title,
  moduleId,
});
const buttons = (list: unknown[], value = 'Pick one'): object => ({
  type: 'buttons',
  text: value,
  buttons: list,
});
const reply = (title = 'Yes', moduleId = MODULE_A): object => ({ title, moduleId });
const quickReplies = (replies: unknown[], value = 'Choose'): object => ({
  type: 'quickReplies',
  text: value,
  replies,
});

describe('ContentDto', () => {
  it('accepts every message type and builds the matching classes', async () => {
    const input = {
      messages: [
        text('Hi'),
        image('https://cdn.example.com/a.png'),
        buttons([urlButton(), moduleButton()]),
        quickReplies([reply()]),
      ],
    };
    expect(await issues(input)).toEqual([]);
    const dto = plainToInstance(ContentDto, input);
    expect(dto.messages.map((m) => m.constructor)).toEqual([
      TextMessageDto,
      ImageMessageDto,
      ButtonsMessageDto,
      QuickRepliesMessageDto,
    ]);
    const [, , withButtons, withReplies] = dto.messages;
    expect((withButtons as ButtonsMessageDto).buttons.map((b) => b.constructor)).toEqual([
      UrlButtonDto,
      ModuleButtonDto,
    ]);
    expect((withReplies as QuickRepliesMessageDto).replies[0]).toBeInstanceOf(QuickReplyDto);
    expect(dto.messages[0]).toEqual({ type: 'text', text: 'Hi' });
  });

  it('takes 1 to 10 messages', async () => {
    expect(await issues({ messages: Array(10).fill(text('a')) })).toEqual([]);
    expect(await issues({ messages: [] })).toEqual([
      { field: 'messages', messages: ['messages must contain at least 1 elements'] },
    ]);
    expect(await issues({ messages: Array(11).fill(text('a')) })).toEqual([
      { field: 'messages', messages: ['messages must contain no more than 10 elements'] },
    ]);
    const missing = await issues({});
    expect(missing.map((i) => i.field)).toEqual(['messages']);
    expect(missing[0].messages).toContain('messages must be an array');
  });

  it.each([
    ['text', 2000, (v: string) => text(v)],
    ['quick replies text', 2000, (v: string) => quickReplies([reply()], v)],
    ['buttons text', 640, (v: string) => buttons([urlButton()], v)],
  ])('limits the %s to %i characters', async (_name, max, build) => {
    expect(await issues(one(build('x'.repeat(max))))).toEqual([]);
    expect(await issues(one(build('x'.repeat(max + 1))))).toEqual([
      {
        field: 'messages[0].text',
        messages: [`text must be shorter than or equal to ${max} characters`],
      },
    ]);
    expect(await issues(one(build('')))).toEqual([
      {
        field: 'messages[0].text',
        messages: ['text must be longer than or equal to 1 characters'],
      },
    ]);
  });

  it('counts characters as Meta does (code points), variation selectors included', async () => {
    // validator.js skips U+FE0F, so @Length took 2,000 "a\uFE0F" pairs (4,000 characters) as 2,000.
    expect(await issues(one(text('a\uFE0F'.repeat(1000))))).toEqual([]);
    expect(await issues(one(text('a\uFE0F'.repeat(1001))))).toEqual([
      {
        field: 'messages[0].text',
        messages: ['text must be shorter than or equal to 2000 characters'],
      },
    ]);
    expect(await issues(one(text('🌷'.repeat(2000))))).toEqual([]);
    expect(await issues(one(quickReplies([reply('\u2764\uFE0F'.repeat(10))])))).toEqual([]);
    expect(await issues(one(quickReplies([reply('\u2764\uFE0F'.repeat(11))])))).toEqual([
      {
        field: 'messages[0].replies[0].title',
        messages: ['title must be shorter than or equal to 20 characters'],
      },
    ]);
  });

  it('takes 1 to 3 buttons and 1 to 13 replies', async () => {
    expect(await issues(one(buttons(Array(3).fill(urlButton()))))).toEqual([]);
    expect(await issues(one(buttons(Array(4).fill(urlButton()))))).toEqual([
      { field: 'messages[0].buttons', messages: ['buttons must contain no more than 3 elements'] },
    ]);
    expect(await issues(one(buttons([])))).toEqual([
      { field: 'messages[0].buttons', messages: ['buttons must contain at least 1 elements'] },
    ]);
    expect(await issues(one(quickReplies(Array(13).fill(reply()))))).toEqual([]);
    expect(await issues(one(quickReplies(Array(14).fill(reply()))))).toEqual([
      { field: 'messages[0].replies', messages: ['replies must contain no more than 13 elements'] },
    ]);
    expect(await issues(one(quickReplies([])))).toEqual([
      { field: 'messages[0].replies', messages: ['replies must contain at least 1 elements'] },
    ]);
  });

  it('limits every title to 20 characters', async () => {
    const ok = 't'.repeat(20);
    const long = 't'.repeat(21);
    const tooLong = ['title must be shorter than or equal to 20 characters'];
    expect(await issues(one(buttons([urlButton(ok), moduleButton(ok)])))).toEqual([]);
    expect(await issues(one(quickReplies([reply(ok)])))).toEqual([]);
    expect(await issues(one(buttons([urlButton(long), moduleButton(long)])))).toEqual([
      { field: 'messages[0].buttons[0].title', messages: tooLong },
      { field: 'messages[0].buttons[1].title', messages: tooLong },
    ]);
    expect(await issues(one(quickReplies([reply(), reply(long)])))).toEqual([
      { field: 'messages[0].replies[1].title', messages: tooLong },
    ]);
  });

  it.each([
    'ftp://example.com/a.png',
    'javascript:alert(1)',
    '/relative/a.png',
    'example.com/a.png',
    'https:example.com/a.png',
    ' https://example.com/a.png',
    'https://exa mple.com/a.png',
    'https://',
  ])('rejects the URL %j on images and URL buttons', async (url) => {
    const message = 'url must be an absolute URL starting with http:// or https://';
    expect(await issues({ messages: [image(url), buttons([urlButton('Go', url)])] })).toEqual([
      { field: 'messages[0].url', messages: [message] },
      { field: 'messages[1].buttons[0].url', messages: [message] },
    ]);
  });

  it('accepts http and https URLs up to 2000 characters', async () => {
    const long = `https://example.com/${'a'.repeat(2000 - 20)}`;
    expect(long).toHaveLength(2000);
    expect(await issues({ messages: [image(long), image('http://example.com/a.png')] })).toEqual(
      [],
    );
    expect(await issues(one(image(`${long}b`)))).toEqual([
      {
        field: 'messages[0].url',
        messages: ['url must be shorter than or equal to 2000 characters'],
      },
    ]);
  });

  it('requires module ids to be UUIDs', async () => {
    expect(await issues(one(buttons([moduleButton('Go', MODULE_A.toUpperCase())])))).toEqual([]);
    expect(await issues(one(buttons([moduleButton('Go', 'module-1')])))).toEqual([
      { field: 'messages[0].buttons[0].moduleId', messages: ['moduleId must be a UUID'] },
    ]);
    expect(await issues(one(quickReplies([reply('Go', '123')])))).toEqual([
      { field: 'messages[0].replies[0].moduleId', messages: ['moduleId must be a UUID'] },
    ]);
  });

  it('lowercases module ids, so stored content matches the ids Postgres prints', () => {
    const upper = MODULE_A.toUpperCase();
    const dto = plainToInstance(ContentDto, {
      messages: [buttons([moduleButton('Go', upper)]), quickReplies([reply('Go', upper)])],
    });
    expect(JSON.parse(JSON.stringify(dto))).toEqual({
      messages: [buttons([moduleButton('Go', MODULE_A)]), quickReplies([reply('Go', MODULE_A)])],
    });
  });
});
