// The fields classify() reads off one item: its time, sender, kind and ref. classify() itself:
// classify.spec.ts.
import {
  adReferralMessage,
  asString,
  chatPluginReferral,
  deliveryReceipt,
  echo,
  getStarted,
  getStartedWithRef,
  inSeconds,
  optin,
  postback,
  quickReply,
  readReceipt,
  referral,
  textMessage,
} from '../../../test/support/messenger-payloads';
import {
  kindOf,
  refOf,
  senderKeyOf,
  toEpochMs,
  UNHANDLED_ITEM_TYPES,
  type MessagingItemType,
} from './classify';
import { type MessagingItem } from './envelope';

const PAGE = '104000000000001';
const PSID = '2400000000000001';
const T = 1_700_000_000_123;

describe('toEpochMs', () => {
  it.each<[string, unknown, number]>([
    ['milliseconds', 1_458_692_752_478, 1_458_692_752_478],
    ['seconds', 1_458_692_752, 1_458_692_752_000],
    ['fractional seconds', 1_458_692_752.478, 1_458_692_752_478],
    ['milliseconds as a string', '1458692752478', 1_458_692_752_478],
    ['seconds as a string', '1458692752', 1_458_692_752_000],
    ['seconds as a string with spaces', ' 1458692752 ', 1_458_692_752_000],
    ['an ISO date', '2016-03-23T00:25:52.478Z', 1_458_692_752_478],
    ['the builders: inSeconds', inSeconds(T), 1_700_000_000_000],
    ['the builders: asString', asString(T), T],
  ])('reads %s', (_name, value, expected) => {
    expect(toEpochMs(value)).toBe(expected);
  });

  it.each<[string, unknown]>([
    ['null', null],
    ['undefined', undefined],
    ['an empty string', ''],
    ['a blank string', '   '],
    ['a word', 'abc'],
    ['zero', 0],
    ['"0"', '0'],
    ['a negative number', -1_458_692_752_478],
    ['a negative string', '-1458692752'],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['a boolean', true],
    ['an object', { ms: 1 }],
  ])('gives null for %s', (_name, value) => {
    expect(toEpochMs(value)).toBeNull();
  });
});

describe('senderKeyOf', () => {
  it('uses the PSID', () => {
    expect(senderKeyOf(textMessage({ pageId: PAGE, psid: PSID, text: 'hi' }))).toBe(`psid:${PSID}`);
  });

  it('uses the sender user_ref of a chat plugin referral', () => {
    const item = chatPluginReferral({ pageId: PAGE, userRef: 'ur-1', refererUri: 'https://a.b/' });
    expect(senderKeyOf(item)).toBe('user_ref:ur-1');
  });

  it('uses optin.user_ref when the sender is omitted', () => {
    const item = optin({ pageId: PAGE, userRef: 'ur-2', ref: 'r', omitSender: true });
    expect(item.sender).toBeUndefined();
    expect(senderKeyOf(item)).toBe('user_ref:ur-2');
  });

  it('prefers the PSID over an optin user_ref', () => {
    const item = { sender: { id: PSID }, optin: { ref: 'r', user_ref: 'ur-3' } };
    expect(senderKeyOf(item)).toBe(`psid:${PSID}`);
  });

  it('accepts a numeric PSID', () => {
    expect(senderKeyOf({ sender: { id: 2400000000000001 } })).toBe('psid:2400000000000001');
  });

  it('keeps a user_ref as long as a contact holds', () => {
    expect(senderKeyOf({ sender: { user_ref: 'u'.repeat(255) } })).toHaveLength(264);
    expect(senderKeyOf({ sender: { id: '9'.repeat(255) } })).toHaveLength(260);
  });

  it.each<[string, MessagingItem]>([
    ['no sender and no optin', { recipient: { id: PAGE }, timestamp: T, message: { text: 'x' } }],
    ['an empty sender', { sender: {}, timestamp: T }],
    ['an empty PSID', { sender: { id: '' }, timestamp: T }],
    ['an optin without user_ref and no sender', { optin: { ref: 'r' } }],
    ['a sender that is not an object', { sender: 'someone' }],
    ['a user_ref longer than a contact holds', { sender: { user_ref: 'u'.repeat(256) } }],
    ['a PSID longer than a contact holds', { sender: { id: '9'.repeat(256) } }],
  ])('is null for %s', (_name, item) => {
    expect(senderKeyOf(item)).toBeNull();
  });
});

describe('kindOf', () => {
  it.each<[string, MessagingItem, MessagingItemType]>([
    ['a text message', textMessage({ pageId: PAGE, psid: PSID, text: 'hi' }), 'message'],
    [
      'a quick reply',
      quickReply({ pageId: PAGE, psid: PSID, text: 'Yes', payload: 'YES' }),
      'message',
    ],
    [
      'an ad referral message',
      adReferralMessage({
        pageId: PAGE,
        psid: PSID,
        adId: '1',
        text: 'hi',
        adsContext: { ad_title: 'Ad' },
      }),
      'message',
    ],
    ['an echo', echo({ pageId: PAGE, psid: PSID, text: 'hi' }), 'echo'],
    ['a Get Started postback', getStarted({ pageId: PAGE, psid: PSID }), 'postback'],
    [
      'a Get Started postback with a ref',
      getStartedWithRef({ pageId: PAGE, psid: PSID, ref: 'r' }),
      'postback',
    ],
    [
      'a button postback',
      postback({ pageId: PAGE, psid: PSID, title: 'Menu', payload: 'MENU' }),
      'postback',
    ],
    ['a messaging_referrals item', referral({ pageId: PAGE, psid: PSID, ref: 'r' }), 'referral'],
    [
      'a chat plugin referral',
      chatPluginReferral({ pageId: PAGE, userRef: 'u', refererUri: 'https://a.b/' }),
      'referral',
    ],
    ['an optin', optin({ pageId: PAGE, psid: PSID, ref: 'r' }), 'optin'],
    ['a delivery', deliveryReceipt({ pageId: PAGE, psid: PSID, mids: ['m_1'] }), 'delivery'],
    ['a read', readReceipt({ pageId: PAGE, psid: PSID, watermark: T }), 'read'],
    [
      'a reaction',
      { sender: { id: PSID }, reaction: { mid: 'm_1', action: 'react', reaction: 'love' } },
      'reaction',
    ],
    ['a pass_thread_control', { sender: { id: PSID }, pass_thread_control: {} }, 'handover'],
    ['a take_thread_control', { sender: { id: PSID }, take_thread_control: {} }, 'handover'],
    ['a request_thread_control', { sender: { id: PSID }, request_thread_control: {} }, 'handover'],
    ['an unknown item', { sender: { id: PSID }, timestamp: T, game_play: {} }, 'other'],
    ['a message that is not an object', { sender: { id: PSID }, message: 'hi' }, 'other'],
  ])('%s', (_name, item, kind) => {
    expect(kindOf(item)).toBe(kind);
  });

  it('UNHANDLED_ITEM_TYPES holds exactly echo, reaction, other (receipts feed referral funnels)', () => {
    expect([...UNHANDLED_ITEM_TYPES].sort()).toEqual(['echo', 'other', 'reaction']);
    for (const kind of [
      'postback',
      'referral',
      'message',
      'optin',
      'handover',
      'delivery',
      'read',
    ] as const) {
      expect(UNHANDLED_ITEM_TYPES.has(kind)).toBe(false);
    }
  });
});

describe('refOf', () => {
  it('reads postback.referral.ref (Get Started, new thread)', () => {
    expect(refOf(getStartedWithRef({ pageId: PAGE, psid: PSID, ref: 'new-user' }))).toBe(
      'new-user',
    );
  });

  it('reads the item-level referral.ref (messaging_referrals, existing thread)', () => {
    expect(refOf(referral({ pageId: PAGE, psid: PSID, ref: 'returning' }))).toBe('returning');
  });

  it('reads message.referral.ref (Click-to-Messenger ad)', () => {
    const item = adReferralMessage({
      pageId: PAGE,
      psid: PSID,
      ref: 'ad-ref',
      adId: '6045246247433',
      text: 'Hello',
      adsContext: { ad_title: 'Spring sale' },
    });
    expect(refOf(item)).toBe('ad-ref');
  });

  it('reads optin.ref (plugins)', () => {
    expect(refOf(optin({ pageId: PAGE, psid: PSID, ref: 'checkbox-1' }))).toBe('checkbox-1');
    expect(refOf(optin({ pageId: PAGE, userRef: 'ur', ref: 'checkbox-2', omitSender: true }))).toBe(
      'checkbox-2',
    );
  });

  it('reads the ref of a chat plugin referral that has one', () => {
    const item = chatPluginReferral({
      pageId: PAGE,
      userRef: 'u',
      ref: 'plugin',
      refererUri: 'https://shop.example/p',
    });
    expect(refOf(item)).toBe('plugin');
  });

  it('is null for a chat plugin referral without ref, and for items without any', () => {
    const plugin = chatPluginReferral({ pageId: PAGE, userRef: 'u', refererUri: 'https://a.b/' });
    expect(refOf(plugin)).toBeNull();
    expect(refOf(getStarted({ pageId: PAGE, psid: PSID }))).toBeNull();
    expect(refOf(textMessage({ pageId: PAGE, psid: PSID, text: 'hi' }))).toBeNull();
    expect(
      refOf(
        adReferralMessage({
          pageId: PAGE,
          psid: PSID,
          adId: '1',
          text: 'hi',
          adsContext: { ad_title: 'Ad' },
        }),
      ),
    ).toBeNull();
  });
});
