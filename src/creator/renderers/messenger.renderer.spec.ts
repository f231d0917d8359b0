import { type Content } from '../content/content.types';
import { renderForMessenger } from './messenger.renderer';

const MODULE_A = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';
const MODULE_B = '0b6c1f7e-2d3a-4c5b-9e8f-7a6b5c4d3e2f';

const content: Content = {
  messages: [
    { type: 'text', text: 'Hi {{contact.firstName|there}}!' },
    { type: 'image', url: 'https://cdn.example.com/a.png' },
    {
      type: 'buttons',
      text: 'Your code: {{referral.trackingParam}}',
      buttons: [
        { type: 'url', title: 'Shop', url: 'https://example.com/shop' },
        { type: 'module', title: 'Quiz', moduleId: MODULE_A },
      ],
    },
    {
      type: 'quickReplies',
      text: 'Ready, {{contact.lastName}}?',
      replies: [
        { title: 'Yes', moduleId: MODULE_A },
        { title: 'Later', moduleId: MODULE_B },
      ],
    },
  ],
};

describe('renderForMessenger', () => {
  it('renders one Send API message per content message', () => {
    const ctx = {
      contact: { firstName: 'Ann', lastName: 'Lee' },
      referral: { trackingParam: 'x1' },
    };
    expect(renderForMessenger(content, ctx)).toEqual([
      { text: 'Hi Ann!' },
      {
        attachment: {
          type: 'image',
          payload: { url: 'https://cdn.example.com/a.png', is_reusable: true },
        },
      },
      {
        attachment: {
          type: 'template',
          payload: {
            template_type: 'button',
            text: 'Your code: x1',
            buttons: [
              { type: 'web_url', url: 'https://example.com/shop', title: 'Shop' },
              { type: 'postback', title: 'Quiz', payload: `MODULE:${MODULE_A}` },
            ],
          },
        },
      },
      {
        text: 'Ready, Lee?',
        quick_replies: [
          { content_type: 'text', title: 'Yes', payload: `MODULE:${MODULE_A}` },
          { content_type: 'text', title: 'Later', payload: `MODULE:${MODULE_B}` },
        ],
      },
    ]);
  });

  it('renders missing values as fallbacks or nothing', () => {
    const [first, , third] = renderForMessenger(content, {});
    expect(first).toEqual({ text: 'Hi there!' });
    expect(third).toMatchObject({ attachment: { payload: { text: 'Your code: ' } } });
  });

  it('cuts texts that personalisation made too long to the channel limits', () => {
    const name = 'N'.repeat(100);
    const long: Content = {
      messages: [
        { type: 'text', text: `{{contact.firstName}}${'t'.repeat(1979)}` },
        {
          type: 'buttons',
          text: `{{contact.firstName}}${'b'.repeat(619)}`,
          buttons: [{ type: 'url', title: 'Go', url: 'https://example.com' }],
        },
        {
          type: 'quickReplies',
          text: `{{contact.firstName}}${'q'.repeat(1979)}`,
          replies: [{ title: 'Go', moduleId: MODULE_A }],
        },
      ],
    };
    const [text, buttons, replies] = renderForMessenger(long, { contact: { firstName: name } });
    expect(text).toEqual({ text: name + 't'.repeat(1900) });
    expect(buttons).toMatchObject({ attachment: { payload: { text: name + 'b'.repeat(540) } } });
    expect(replies).toMatchObject({ text: name + 'q'.repeat(1900) });
  });

  it('never cuts a character in half', () => {
    const long: Content = {
      messages: [{ type: 'text', text: `{{contact.firstName}}${'t'.repeat(1990)}` }],
    };
    const [message] = renderForMessenger(long, { contact: { firstName: '😀'.repeat(20) } });
    expect(message).toEqual({ text: '😀'.repeat(20) + 't'.repeat(1980) });
  });
});
