import { Test } from '@nestjs/testing';
import { type Content } from './content/content.types';
import { CreatorModule } from './creator.module';
import { CreatorService } from './creator.service';

const A = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';
const B = '0b6c1f7e-2d3a-4c5b-9e8f-7a6b5c4d3e2f';
const C = '9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a';

const content: Content = {
  messages: [
    { type: 'text', text: 'Hi {{contact.firstName}}' },
    {
      type: 'buttons',
      text: 'Pick',
      buttons: [
        { type: 'url', title: 'Site', url: 'https://example.com' },
        { type: 'module', title: 'Quiz', moduleId: A },
        { type: 'module', title: 'Shop', moduleId: B },
      ],
    },
    { type: 'image', url: 'https://example.com/a.png' },
    {
      type: 'quickReplies',
      text: 'More?',
      replies: [
        { title: 'Yes', moduleId: C },
        { title: 'Quiz again', moduleId: A },
      ],
    },
  ],
};

describe('CreatorService', () => {
  let creator: CreatorService;

  beforeAll(async () => {
    const module = await Test.createTestingModule({ imports: [CreatorModule] }).compile();
    creator = module.get(CreatorService);
  });

  it('lists the modules content points at, with their fields, in document order', () => {
    expect(creator.moduleRefs(content)).toEqual([
      { field: 'messages[1].buttons[1].moduleId', moduleId: A },
      { field: 'messages[1].buttons[2].moduleId', moduleId: B },
      { field: 'messages[3].replies[0].moduleId', moduleId: C },
      { field: 'messages[3].replies[1].moduleId', moduleId: A },
    ]);
    expect(creator.moduleRefs({ messages: [{ type: 'text', text: 'a' }] })).toEqual([]);
  });

  it('renders for both channels', () => {
    const ctx = { contact: { firstName: 'Ann' } };
    expect(creator.renderForMessenger(content, ctx)[0]).toEqual({ text: 'Hi Ann' });
    expect(creator.renderForWidget(content, ctx)[0]).toEqual({ type: 'text', text: 'Hi Ann' });
    expect(creator.renderForMessenger(content)[0]).toEqual({ text: 'Hi ' });
  });

  it('parses module payloads', () => {
    expect(creator.parseModulePayload(`MODULE:${B.toUpperCase()}`)).toBe(B);
    expect(creator.parseModulePayload('MODULE:nope')).toBeNull();
    expect(creator.parseModulePayload(undefined)).toBeNull();
  });
});
