import { createHmac } from 'node:crypto';
import {
  adReferralMessage,
  asString,
  chatPluginReferral,
  delivery,
  deliveryReceipt,
  echo,
  envelope,
  getStarted,
  getStartedWithRef,
  inSeconds,
  optin,
  postback,
  quickReply,
  readReceipt,
  referral,
  signBody,
  signedRequest,
  textMessage,
  toMetaJson,
} from './messenger-payloads';

const PAGE = '1234567890';
const PSID = '24680';
const T = 1458692752478;
const from = { sender: { id: PSID }, recipient: { id: PAGE }, timestamp: T };

describe('messenger payloads', () => {
  describe('envelope', () => {
    it('wraps items per page, under messaging or standby', () => {
      const item = textMessage({ pageId: PAGE, psid: PSID, text: 'hi', mid: 'm_1', timestamp: T });
      expect(delivery(PAGE, [item], { time: 5 })).toEqual({
        object: 'page',
        entry: [{ id: PAGE, time: 5, messaging: [item] }],
      });
      expect(delivery(PAGE, [item], { standby: true, time: 5 })).toEqual({
        object: 'page',
        entry: [{ id: PAGE, time: 5, standby: [item] }],
      });
      expect(
        envelope([
          { pageId: 'a', time: 1, messaging: [item] },
          { pageId: 'b', time: 2, standby: [item, item] },
        ]),
      ).toEqual({
        object: 'page',
        entry: [
          { id: 'a', time: 1, messaging: [item] },
          { id: 'b', time: 2, standby: [item, item] },
        ],
      });
    });

    it('defaults time to now and omits absent lists', () => {
      const before = Date.now();
      const { entry } = delivery(PAGE, []);
      expect(entry[0].time).toBeGreaterThanOrEqual(before);
      expect(Object.keys(entry[0])).toEqual(['id', 'time', 'messaging']);
    });
  });

  describe('items', () => {
    it('Get Started with a referral', () => {
      expect(
        getStartedWithRef({ pageId: PAGE, psid: PSID, ref: 'camp-1', mid: 'm_1', timestamp: T }),
      ).toEqual({
        ...from,
        postback: {
          title: 'Get Started',
          payload: 'GET_STARTED',
          mid: 'm_1',
          referral: { ref: 'camp-1', source: 'SHORTLINK', type: 'OPEN_THREAD' },
        },
      });
      const custom = getStartedWithRef({
        pageId: PAGE,
        psid: PSID,
        ref: 'r',
        source: 'SHORT-URL',
        payload: 'START',
      });
      expect(custom.postback).toMatchObject({
        payload: 'START',
        mid: expect.stringMatching(/^m_/),
        referral: { source: 'SHORT-URL' },
      });
    });

    it('Get Started without a referral', () => {
      expect(getStarted({ pageId: PAGE, psid: PSID, mid: 'm_1', timestamp: T })).toEqual({
        ...from,
        postback: { title: 'Get Started', payload: 'GET_STARTED', mid: 'm_1' },
      });
    });

    it('referral at item level', () => {
      expect(referral({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: T })).toEqual({
        ...from,
        referral: { ref: 'r', source: 'SHORTLINK', type: 'OPEN_THREAD' },
      });
    });

    it('ad referral message, with and without ref', () => {
      expect(
        adReferralMessage({
          pageId: PAGE,
          psid: PSID,
          ref: 'ad-ref',
          adId: 'ad-1',
          text: 'Is this available?',
          adsContext: { ad_title: 'Sale', photo_url: 'https://x/p.jpg', post_id: 'post-1' },
          mid: 'm_1',
          timestamp: T,
        }),
      ).toEqual({
        ...from,
        message: {
          mid: 'm_1',
          text: 'Is this available?',
          referral: {
            ref: 'ad-ref',
            ad_id: 'ad-1',
            source: 'ADS',
            type: 'OPEN_THREAD',
            ads_context_data: { ad_title: 'Sale', photo_url: 'https://x/p.jpg', post_id: 'post-1' },
          },
        },
      });
      const noRef = adReferralMessage({
        pageId: PAGE,
        psid: PSID,
        adId: 'ad-1',
        text: 'x',
        adsContext: { ad_title: 'Sale', video_url: undefined },
      });
      const message = noRef.message as { referral: Record<string, unknown> };
      expect('ref' in message.referral).toBe(false);
      expect(message.referral.ads_context_data).toEqual({ ad_title: 'Sale' });
      expect(JSON.stringify(message.referral.ads_context_data)).toBe('{"ad_title":"Sale"}');
    });

    it('optins from Send to Messenger and from the checkbox plugin', () => {
      expect(optin({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: T })).toEqual({
        ...from,
        optin: { ref: 'r' },
      });
      expect(optin({ pageId: PAGE, userRef: 'u-1', ref: 'r', timestamp: T })).toEqual({
        sender: { user_ref: 'u-1' },
        recipient: { id: PAGE },
        timestamp: T,
        optin: { ref: 'r', user_ref: 'u-1' },
      });
      const senderless = optin({ pageId: PAGE, userRef: 'u-1', ref: 'r', omitSender: true });
      expect('sender' in senderless).toBe(false);
      expect(() => optin({ pageId: PAGE, ref: 'r' })).toThrow();
    });

    it('chat plugin referral, with and without ref', () => {
      const base = {
        pageId: PAGE,
        userRef: 'u-1',
        refererUri: 'https://shop.example/a',
        timestamp: T,
      };
      expect(chatPluginReferral({ ...base, ref: 'r' })).toEqual({
        sender: { user_ref: 'u-1' },
        recipient: { id: PAGE },
        timestamp: T,
        referral: {
          ref: 'r',
          source: 'CUSTOMER_CHAT_PLUGIN',
          type: 'OPEN_THREAD',
          referer_uri: 'https://shop.example/a',
        },
      });
      const noRef = chatPluginReferral(base);
      expect(noRef.referral).toEqual({
        source: 'CUSTOMER_CHAT_PLUGIN',
        type: 'OPEN_THREAD',
        referer_uri: 'https://shop.example/a',
      });
      expect('ref' in (noRef.referral as object)).toBe(false);
    });

    it('text, quick reply and postback', () => {
      expect(
        textMessage({ pageId: PAGE, psid: PSID, text: 'hi', mid: 'm_1', timestamp: T }),
      ).toEqual({ ...from, message: { mid: 'm_1', text: 'hi' } });
      const reply = quickReply({
        pageId: PAGE,
        psid: PSID,
        text: 'Red',
        payload: 'RED',
        timestamp: T,
      });
      expect(reply).toEqual({
        ...from,
        message: {
          mid: expect.stringMatching(/^m_/),
          text: 'Red',
          quick_reply: { payload: 'RED' },
        },
      });
      expect(
        postback({
          pageId: PAGE,
          psid: PSID,
          title: 'Buy',
          payload: 'BUY',
          mid: 'm_2',
          timestamp: T,
        }),
      ).toEqual({ ...from, postback: { title: 'Buy', payload: 'BUY', mid: 'm_2' } });
    });

    it('delivery and read receipts', () => {
      expect(deliveryReceipt({ pageId: PAGE, psid: PSID, mids: ['m_1'], timestamp: T })).toEqual({
        ...from,
        delivery: { mids: ['m_1'], watermark: T },
      });
      expect(readReceipt({ pageId: PAGE, psid: PSID, watermark: T - 5, timestamp: T })).toEqual({
        ...from,
        read: { watermark: T - 5 },
      });
    });

    it('echo comes from the page', () => {
      expect(echo({ pageId: PAGE, psid: PSID, text: 'sent', mid: 'm_1', timestamp: T })).toEqual({
        sender: { id: PAGE },
        recipient: { id: PSID },
        timestamp: T,
        message: { is_echo: true, mid: 'm_1', text: 'sent' },
      });
    });

    it('defaults timestamps to now in ms and mids to unique values', () => {
      const before = Date.now();
      const a = textMessage({ pageId: PAGE, psid: PSID, text: 'a' });
      const b = textMessage({ pageId: PAGE, psid: PSID, text: 'b' });
      expect(a.timestamp).toBeGreaterThanOrEqual(before);
      expect(a.timestamp).toBeLessThanOrEqual(Date.now());
      const mid = (item: typeof a) => (item.message as { mid: string }).mid;
      expect(mid(a)).toMatch(/^m_/);
      expect(mid(a)).not.toBe(mid(b));
    });

    it('timestamps in seconds or as strings', () => {
      expect(inSeconds(T)).toBe(1458692752);
      expect(asString(T)).toBe('1458692752478');
      expect(asString(inSeconds(T))).toBe('1458692752');
      const item = textMessage({ pageId: PAGE, psid: PSID, text: 'x', timestamp: asString(T) });
      expect(item.timestamp).toBe('1458692752478');
    });
  });

  describe('signing', () => {
    it('escapes non-ASCII as \\uXXXX, astral characters as two escapes', () => {
      expect(toMetaJson({ t: 'äö€😀' })).toBe('{"t":"\\u00e4\\u00f6\\u20ac\\ud83d\\ude00"}');
      expect(toMetaJson('plain ascii / "quoted"')).toBe('"plain ascii / \\"quoted\\""');
      expect(toMetaJson({ u: 'a/b' }, { escapeSlashes: true })).toBe('{"u":"a\\/b"}');
    });

    it('round-trips through JSON.parse', () => {
      const value = {
        t: 'äö€😀 \u2028 ü',
        nested: [{ name: 'Zoë', ref: 'a/b\\c' }],
        n: 1.5,
        nothing: null,
      };
      expect(JSON.parse(toMetaJson(value))).toEqual(value);
      expect(JSON.parse(toMetaJson(value, { escapeSlashes: true }))).toEqual(value);
      expect(toMetaJson(value)).toMatch(/^[\x20-\x7e]*$/);
    });

    it('signs with HMAC-SHA256 of the raw bytes', () => {
      const raw = toMetaJson({ t: 'ä' });
      const expected = createHmac('sha256', 'secret').update(raw).digest('hex');
      expect(signBody(raw, 'secret')).toBe(`sha256=${expected}`);
      expect(signBody(Buffer.from(raw), 'secret')).toBe(`sha256=${expected}`);
      // Signing the unescaped form gives a different value: receivers must hash what arrived.
      expect(signBody(JSON.stringify({ t: 'ä' }), 'secret')).not.toBe(`sha256=${expected}`);
    });

    it('builds a signed request', () => {
      const body = delivery(PAGE, [textMessage({ pageId: PAGE, psid: PSID, text: 'Grüße' })]);
      const request = signedRequest(body, 'secret');
      expect(request.raw).toBe(toMetaJson(body));
      expect(request.headers).toEqual({
        'content-type': 'application/json',
        'x-hub-signature-256': `sha256=${createHmac('sha256', 'secret').update(request.raw).digest('hex')}`,
      });
      expect(JSON.parse(request.raw)).toEqual(body);
    });
  });
});
