import { type Content } from '../content/content.types';
import { renderForWidget } from './widget.renderer';

const MODULE_A = '3f2b8c1e-4a5d-4e6f-8a7b-9c0d1e2f3a4b';

describe('renderForWidget', () => {
  it('renders each content message as a widget message', () => {
    const content: Content = {
      messages: [
        { type: 'text', text: 'Hi {{ contact.firstName | there }}!' },
        { type: 'image', url: 'https://cdn.example.com/a.png' },
        {
          type: 'buttons',
          text: 'From {{referral.trackingParam}}',
          buttons: [
            { type: 'url', title: 'Shop', url: 'https://example.com/shop' },
            { type: 'module', title: 'Quiz', moduleId: MODULE_A },
          ],
        },
        { type: 'quickReplies', text: 'Ready?', replies: [{ title: 'Yes', moduleId: MODULE_A }] },
      ],
    };
    expect(renderForWidget(content, { referral: { trackingParam: 'qr-7' } })).toEqual([
      { type: 'text', text: 'Hi there!' },
      { type: 'image', url: 'https://cdn.example.com/a.png' },
      {
        type: 'buttons',
        text: 'From qr-7',
        buttons: [
          { type: 'url', title: 'Shop', url: 'https://example.com/shop' },
          { type: 'postback', title: 'Quiz', payload: `MODULE:${MODULE_A}` },
        ],
      },
      {
        type: 'quickReplies',
        text: 'Ready?',
        replies: [{ title: 'Yes', payload: `MODULE:${MODULE_A}` }],
      },
    ]);
  });

  it('cuts texts to the same limits as Messenger', () => {
    const content: Content = {
      messages: [
        { type: 'text', text: `{{contact.lastName}}${'t'.repeat(1980)}` },
        {
          type: 'buttons',
          text: `{{contact.lastName}}${'b'.repeat(620)}`,
          buttons: [{ type: 'module', title: 'Go', moduleId: MODULE_A }],
        },
      ],
    };
    const name = 'L'.repeat(50);
    expect(renderForWidget(content, { contact: { lastName: name } })).toEqual([
      { type: 'text', text: name + 't'.repeat(1950) },
      {
        type: 'buttons',
        text: name + 'b'.repeat(590),
        buttons: [{ type: 'postback', title: 'Go', payload: `MODULE:${MODULE_A}` }],
      },
    ]);
  });
});
