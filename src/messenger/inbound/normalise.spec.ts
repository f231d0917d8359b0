import {
  adReferralMessage,
  chatPluginReferral,
  deliveryReceipt,
  getStarted,
  getStartedWithRef,
  optin,
  postback,
  quickReply,
  readReceipt,
  referral,
  textMessage,
} from '../../../test/support/messenger-payloads';
import { normalise } from './normalise';

const PAGE = '104000000000001';
const PSID = '2400000000000001';
const T = 1_700_000_000_000;

describe('normalise', () => {
  it('Get Started with a ref (new thread): a referral keeping payload, title and mid', () => {
    const item = getStartedWithRef({
      pageId: PAGE,
      psid: PSID,
      ref: 'summer-2024',
      source: 'SHORTLINK',
      payload: 'GET_STARTED',
      mid: 'm_gs',
      timestamp: T,
    });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'referral',
      text: 'Get Started',
      payload: 'GET_STARTED',
      externalMessageId: 'm_gs',
      referral: {
        ref: 'summer-2024',
        source: 'SHORTLINK',
        adId: null,
        adsContext: null,
        refererUri: null,
      },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('keeps an unusual source as it is', () => {
    const item = getStartedWithRef({ pageId: PAGE, psid: PSID, ref: 'x', source: 'SHORT-URL' });
    expect(normalise(item)?.referral?.source).toBe('SHORT-URL');
  });

  it('messaging_referrals (existing thread): a referral with no text, payload or mid', () => {
    const item = referral({ pageId: PAGE, psid: PSID, ref: 'back-again', timestamp: T });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'referral',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: {
        ref: 'back-again',
        source: 'SHORTLINK',
        adId: null,
        adsContext: null,
        refererUri: null,
      },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('Click-to-Messenger ad: a referral keeping the text, ad id and ads context', () => {
    const adsContext = {
      ad_title: 'Spring sale',
      photo_url: 'https://cdn.example/p.jpg',
      post_id: '104000000000001_555',
    };
    const item = adReferralMessage({
      pageId: PAGE,
      psid: PSID,
      ref: 'ad-ref',
      adId: '6045246247433',
      text: 'Is this still available?',
      adsContext,
      mid: 'm_ad',
      timestamp: T,
    });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'referral',
      text: 'Is this still available?',
      payload: null,
      externalMessageId: 'm_ad',
      referral: {
        ref: 'ad-ref',
        source: 'ADS',
        adId: '6045246247433',
        adsContext: {
          ad_title: 'Spring sale',
          photo_url: 'https://cdn.example/p.jpg',
          post_id: '104000000000001_555',
        },
        refererUri: null,
      },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('Click-to-Messenger ad without a ref: ref null, ad id kept', () => {
    const item = adReferralMessage({
      pageId: PAGE,
      psid: PSID,
      adId: '77',
      text: 'Hi',
      adsContext: { ad_title: 'Ad' },
      mid: 'm_ad2',
    });
    expect(normalise(item)?.referral).toEqual({
      ref: null,
      source: 'ADS',
      adId: '77',
      adsContext: { ad_title: 'Ad' },
      refererUri: null,
    });
  });

  it('Send-to-Messenger opt-in with a PSID: a referral with source OPTIN', () => {
    const item = optin({ pageId: PAGE, psid: PSID, ref: 'send-to-m', timestamp: T });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'referral',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: {
        ref: 'send-to-m',
        source: 'OPTIN',
        adId: null,
        adsContext: null,
        refererUri: null,
      },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('checkbox opt-in with a user_ref sender', () => {
    const item = optin({ pageId: PAGE, userRef: 'ur-checkbox', ref: 'cb', timestamp: T });
    expect(normalise(item)).toEqual({
      externalId: 'ur-checkbox',
      externalIdKind: 'user_ref',
      kind: 'referral',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: { ref: 'cb', source: 'OPTIN', adId: null, adsContext: null, refererUri: null },
      raw: item,
    });
  });

  it('checkbox opt-in without a sender: the contact is optin.user_ref', () => {
    const item = optin({
      pageId: PAGE,
      userRef: 'ur-no-sender',
      ref: 'cb-2',
      omitSender: true,
      timestamp: T,
    });
    expect(item.sender).toBeUndefined();
    const result = normalise(item);
    expect(result).toEqual({
      externalId: 'ur-no-sender',
      externalIdKind: 'user_ref',
      kind: 'referral',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: { ref: 'cb-2', source: 'OPTIN', adId: null, adsContext: null, refererUri: null },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('chat plugin referral without a ref: ref null, referer_uri kept', () => {
    const item = chatPluginReferral({
      pageId: PAGE,
      userRef: 'ur-plugin',
      refererUri: 'https://shop.example/product/42',
      timestamp: T,
    });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: 'ur-plugin',
      externalIdKind: 'user_ref',
      kind: 'referral',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: {
        ref: null,
        source: 'CUSTOMER_CHAT_PLUGIN',
        adId: null,
        adsContext: null,
        refererUri: 'https://shop.example/product/42',
      },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('chat plugin referral with a ref keeps it', () => {
    const item = chatPluginReferral({
      pageId: PAGE,
      userRef: 'ur-plugin',
      ref: 'plugin-ref',
      refererUri: 'https://shop.example/',
    });
    expect(normalise(item)?.referral?.ref).toBe('plugin-ref');
  });

  it('Get Started without a ref: a postback', () => {
    const item = getStarted({ pageId: PAGE, psid: PSID, mid: 'm_g', timestamp: T });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'postback',
      text: 'Get Started',
      payload: 'GET_STARTED',
      externalMessageId: 'm_g',
      referral: null,
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('a button postback', () => {
    const item = postback({
      pageId: PAGE,
      psid: PSID,
      title: 'Opening hours',
      payload: 'HOURS',
      mid: 'm_pb',
      timestamp: T,
    });
    expect(normalise(item)).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'postback',
      text: 'Opening hours',
      payload: 'HOURS',
      externalMessageId: 'm_pb',
      referral: null,
      raw: item,
    });
  });

  it('a quick reply keeps text and payload', () => {
    const item = quickReply({
      pageId: PAGE,
      psid: PSID,
      text: 'Yes please',
      payload: 'CONFIRM_YES',
      mid: 'm_qr',
      timestamp: T,
    });
    expect(normalise(item)).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'quickReply',
      text: 'Yes please',
      payload: 'CONFIRM_YES',
      externalMessageId: 'm_qr',
      referral: null,
      raw: item,
    });
  });

  it('a text message', () => {
    const item = textMessage({
      pageId: PAGE,
      psid: PSID,
      text: 'Grüße 😀',
      mid: 'm_t',
      timestamp: T,
    });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'text',
      text: 'Grüße 😀',
      payload: null,
      externalMessageId: 'm_t',
      referral: null,
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('a message with only attachments', () => {
    const item = {
      sender: { id: PSID },
      recipient: { id: PAGE },
      timestamp: T,
      message: {
        mid: 'm_att',
        attachments: [{ type: 'image', payload: { url: 'https://cdn.example/i.jpg' } }],
      },
    };
    expect(normalise(item)).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'attachment',
      text: null,
      payload: null,
      externalMessageId: 'm_att',
      referral: null,
      raw: item,
    });
  });

  it('a message with neither text nor attachments is other', () => {
    const item = { sender: { id: PSID }, message: { mid: 'm_e', attachments: [] } };
    expect(normalise(item)?.kind).toBe('other');
  });

  it('a delivery receipt is the event kind delivered, with its watermark', () => {
    const item = deliveryReceipt({ pageId: PAGE, psid: PSID, mids: ['m_1'], timestamp: T });
    const result = normalise(item);
    expect(result).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'delivered',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: null,
      receipt: { kind: 'delivered', watermark: new Date(T) },
      raw: item,
    });
    expect(result?.raw).toBe(item);
  });

  it('a read receipt is the event kind read, with its watermark', () => {
    const item = readReceipt({ pageId: PAGE, psid: PSID, watermark: T - 5, timestamp: T });
    expect(normalise(item)).toEqual({
      externalId: PSID,
      externalIdKind: 'psid',
      kind: 'read',
      text: null,
      payload: null,
      externalMessageId: null,
      referral: null,
      receipt: { kind: 'read', watermark: new Date(T - 5) },
      raw: item,
    });
  });

  it('a receipt without a usable watermark carries none', () => {
    for (const watermark of [undefined, 'soon', -1, 0, 1e20, { at: T }]) {
      const item = {
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp: T,
        read: { watermark },
      };
      expect(normalise(item)).toMatchObject({ kind: 'other' });
      expect(normalise(item)?.receipt).toBeFalsy();
    }
  });

  it('a numeric PSID becomes a string', () => {
    const item = { sender: { id: 2400000000000001 }, message: { mid: 'm_n', text: 'x' } };
    expect(normalise(item)?.externalId).toBe('2400000000000001');
  });

  it('is null when no sender and no optin.user_ref name the user', () => {
    expect(normalise({ recipient: { id: PAGE }, timestamp: T, message: { text: 'x' } })).toBeNull();
    expect(normalise({ recipient: { id: PAGE }, timestamp: T, optin: { ref: 'r' } })).toBeNull();
    expect(normalise({ sender: {}, referral: { ref: 'r' } })).toBeNull();
    expect(normalise({ sender: { id: '' }, postback: { payload: 'P' } })).toBeNull();
  });
});
