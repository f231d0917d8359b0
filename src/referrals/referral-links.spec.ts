import { referralLinks } from './referral-links';

const BASE = 'https://bots.example.com';
const BOT = '7d1f0c7e-8a53-4c2e-9d55-1f1f5b0e7a10';

describe('referralLinks', () => {
  it('builds the Messenger link from the page username, URL-encoding the tracking param', () => {
    const links = referralLinks(
      {
        botId: BOT,
        widgetKey: 'wk_abc',
        messenger: { botId: BOT, pageId: '123', pageUsername: 'acme.shoes' },
      },
      'spring=sale_2',
      BASE,
    );
    expect(links).toEqual({
      messenger: 'https://m.me/acme.shoes?ref=spring%3Dsale_2',
      widget: 'https://bots.example.com/chat/wk_abc?ref=spring%3Dsale_2',
      tracked: `https://bots.example.com/r/${BOT}/spring%3Dsale_2`,
    });
  });

  it('falls back to the page id without a username', () => {
    const links = referralLinks(
      {
        botId: BOT,
        widgetKey: 'wk_abc',
        messenger: { botId: BOT, pageId: '123', pageUsername: null },
      },
      'x',
      BASE,
    );
    expect(links.messenger).toBe('https://m.me/123?ref=x');
    expect(links.messengerUnavailableReason).toBeUndefined();
  });

  it('has no Messenger link and says why when no page is connected', () => {
    const links = referralLinks({ botId: BOT, widgetKey: 'wk_abc', messenger: null }, 'x', BASE);
    expect(links.messenger).toBeNull();
    expect(links.messengerUnavailableReason).toBe('MESSENGER_NOT_CONNECTED');
    expect(links.widget).toBe('https://bots.example.com/chat/wk_abc?ref=x');
  });
});
