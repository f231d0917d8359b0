import { plainToInstance } from 'class-transformer';
import { validate } from 'class-validator';
import { type FieldIssue, flattenValidationErrors } from '../../common/errors';
import { ContentDto } from './content.dto';

const MODULE_A = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';
const USE = 'use {{contact.firstName}}, {{contact.lastName}} or {{referral.trackingParam}}';

async function issues(input: object): Promise<FieldIssue[]> {
  const dto = plainToInstance(ContentDto, input);
  return flattenValidationErrors(
    await validate(dto, { whitelist: true, forbidNonWhitelisted: true }),
  );
}

const texts = (value: string): object => ({
  messages: [
    { type: 'text', text: value },
    {
      type: 'buttons',
      text: value,
      buttons: [{ type: 'url', title: 'Go', url: 'https://example.com' }],
    },
    { type: 'quickReplies', text: value, replies: [{ title: 'Yes', moduleId: MODULE_A }] },
  ],
});

describe('ContentDto placeholders', () => {
  it.each([
    'Hi {{contact.firstName}} {{contact.lastName}}, via {{referral.trackingParam}}',
    'Hi {{ contact.firstName }}!',
    'Hi {{contact.firstName|there}} {{ contact.lastName | }}',
    `Hi {{ contact.firstName | ${'f'.repeat(100)} }}`,
    'Single braces are text: {a} } {',
  ])('accepts %j in every text', async (value) => {
    expect(await issues(texts(value))).toEqual([]);
  });

  it.each([
    ['Hi {{contact.email}}', `unknown placeholder {{contact.email}}; ${USE}`],
    ['Hi {{ Contact.FirstName }}', `unknown placeholder {{Contact.FirstName}}; ${USE}`],
    ['Hi {{}}', `unknown placeholder {{}}; ${USE}`],
    ['Hi {{contact.firstName', 'unclosed {{: close each placeholder with }}'],
    ['Hi {{contact.firstName {{contact.lastName}}', 'unclosed {{: close each placeholder with }}'],
    ['Hi contact.firstName}}', 'stray }} without an opening {{'],
    [
      `Hi {{contact.firstName|${'f'.repeat(101)}}}`,
      'the fallback of {{contact.firstName}} is longer than 100 characters',
    ],
    [
      'Hi {{contact.firstName|a|b}}',
      'the fallback of {{contact.firstName}} must not contain {, } or |',
    ],
    [
      'Hi {{contact.lastName|a}b}}',
      'the fallback of {{contact.lastName}} must not contain {, } or |',
    ],
  ])('rejects %j in every text', async (value, message) => {
    expect(await issues(texts(value))).toEqual([
      { field: 'messages[0].text', messages: [message] },
      { field: 'messages[1].text', messages: [message] },
      { field: 'messages[2].text', messages: [message] },
    ]);
  });

  it('names every problem of a text once', async () => {
    const value = '{{contact.email}} {{contact.email}} }} {{x';
    expect(await issues(texts(value))).toContainEqual({
      field: 'messages[0].text',
      messages: [
        `unknown placeholder {{contact.email}}; ${USE}; stray }} without an opening {{; ` +
          'unclosed {{: close each placeholder with }}',
      ],
    });
  });

  it('rejects placeholders in titles and URLs', async () => {
    const input = {
      messages: [
        {
          type: 'buttons',
          text: 'Pick',
          buttons: [
            {
              type: 'url',
              title: '{{contact.lastName}}',
              url: 'https://x.com/{{contact.lastName}}',
            },
            { type: 'module', title: 'Hi {{x}}', moduleId: MODULE_A },
          ],
        },
        { type: 'quickReplies', text: 'Pick', replies: [{ title: '{{x', moduleId: MODULE_A }] },
        { type: 'image', url: 'https://x.com/{{referral.trackingParam}}.png' },
      ],
    };
    const only = (property: string): string[] => [
      `${property} must not contain {{: placeholders are only allowed in text`,
    ];
    expect(await issues(input)).toEqual([
      { field: 'messages[0].buttons[0].title', messages: only('title') },
      { field: 'messages[0].buttons[0].url', messages: only('url') },
      { field: 'messages[0].buttons[1].title', messages: only('title') },
      { field: 'messages[1].replies[0].title', messages: only('title') },
      { field: 'messages[2].url', messages: only('url') },
    ]);
  });
});
