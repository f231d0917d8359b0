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
import { classify, toEpochMs, type MessagingItemType } from './classify';
import { type EnvelopeItem, type MessagingItem } from './envelope';

const PAGE = '104000000000001';
const PSID = '2400000000000001';
const T = 1_700_000_000_123;
const ENTRY_TIME = 1_700_000_005_000;
const RECEIVED_AT = 1_700_000_009_000;

function at(
  item: MessagingItem,
  {
    standby = false,
    entryTime = ENTRY_TIME,
  }: { standby?: boolean; entryTime?: number | null } = {},
): EnvelopeItem {
  return { pageId: PAGE, standby, entryTime, item };
}

function keyOf(item: MessagingItem, options?: { standby?: boolean }): string {
  return classify(at(item, options), RECEIVED_AT).dedupeKey;
}

describe('classify', () => {
  it('classifies a Get Started postback with a ref, keyed by its mid', () => {
    const item = getStartedWithRef({
      pageId: PAGE,
      psid: PSID,
      ref: 'summer',
      mid: 'm_gs',
      timestamp: T,
    });
    const result = classify(at(item), RECEIVED_AT);
    expect(result).toEqual({
      pageId: PAGE,
      senderKey: `psid:${PSID}`,
      kind: 'postback',
      standby: false,
      occurredAt: new Date(T),
      dedupeKey: 'mid:m_gs',
      item,
    });
    expect(result.item).toBe(item);
  });

  it('keys messages and postbacks by mid', () => {
    expect(keyOf(textMessage({ pageId: PAGE, psid: PSID, text: 'hi', mid: 'm_t' }))).toBe(
      'mid:m_t',
    );
    expect(
      keyOf(quickReply({ pageId: PAGE, psid: PSID, text: 'Y', payload: 'Y', mid: 'm_q' })),
    ).toBe('mid:m_q');
    expect(keyOf(getStarted({ pageId: PAGE, psid: PSID, mid: 'm_g' }))).toBe('mid:m_g');
    expect(
      keyOf(postback({ pageId: PAGE, psid: PSID, title: 'A', payload: 'A', mid: 'm_p' })),
    ).toBe('mid:m_p');
    expect(keyOf(echo({ pageId: PAGE, psid: PSID, text: 'e', mid: 'm_e' }))).toBe('mid:m_e');
    expect(
      keyOf(
        adReferralMessage({
          pageId: PAGE,
          psid: PSID,
          adId: '1',
          text: 'hi',
          adsContext: { ad_title: 'Ad' },
          mid: 'm_ad',
        }),
      ),
    ).toBe('mid:m_ad');
  });

  it('the mid key does not depend on timestamp or standby', () => {
    const a = textMessage({ pageId: PAGE, psid: PSID, text: 'x', mid: 'm_same', timestamp: T });
    const b = textMessage({ pageId: PAGE, psid: PSID, text: 'x', mid: 'm_same', timestamp: T + 1 });
    expect(keyOf(a)).toBe(keyOf(b, { standby: true }));
  });

  describe('mid-less items', () => {
    it.each<[string, MessagingItem, string, MessagingItemType]>([
      [
        'a messaging_referrals item',
        referral({ pageId: PAGE, psid: PSID, ref: 'ret', timestamp: T }),
        `${PAGE}|psid:${PSID}|${T}|referral|ret|messaging`,
        'referral',
      ],
      [
        'an optin with a PSID',
        optin({ pageId: PAGE, psid: PSID, ref: 'cb', timestamp: T }),
        `${PAGE}|psid:${PSID}|${T}|optin|cb|messaging`,
        'optin',
      ],
      [
        'an optin without sender',
        optin({ pageId: PAGE, userRef: 'ur-9', ref: 'cb', omitSender: true, timestamp: T }),
        `${PAGE}|user_ref:ur-9|${T}|optin|cb|messaging`,
        'optin',
      ],
      [
        'a chat plugin referral without ref',
        chatPluginReferral({
          pageId: PAGE,
          userRef: 'ur-7',
          refererUri: 'https://a.b/',
          timestamp: T,
        }),
        `${PAGE}|user_ref:ur-7|${T}|referral|-|messaging`,
        'referral',
      ],
      [
        'a delivery',
        deliveryReceipt({ pageId: PAGE, psid: PSID, mids: ['m_1'], timestamp: T }),
        `${PAGE}|psid:${PSID}|${T}|delivery|-|messaging`,
        'delivery',
      ],
      [
        'a read',
        readReceipt({ pageId: PAGE, psid: PSID, watermark: T, timestamp: T }),
        `${PAGE}|psid:${PSID}|${T}|read|-|messaging`,
        'read',
      ],
      [
        'an item that names nobody',
        { recipient: { id: PAGE }, timestamp: T, something: {} },
        `${PAGE}|-|${T}|other|-|messaging`,
        'other',
      ],
    ])('%s is keyed by page, sender, timestamp, kind, ref and standby', (_n, item, key, kind) => {
      const result = classify(at(item), RECEIVED_AT);
      expect(result.dedupeKey).toBe(key);
      expect(result.kind).toBe(kind);
    });

    it('marks the key of a standby item', () => {
      const item = referral({ pageId: PAGE, psid: PSID, ref: 'ret', timestamp: T });
      expect(keyOf(item, { standby: true })).toBe(`${PAGE}|psid:${PSID}|${T}|referral|ret|standby`);
      expect(keyOf(item, { standby: true })).not.toBe(keyOf(item));
    });

    it('gives the same key to the same item delivered twice', () => {
      const make = () => referral({ pageId: PAGE, psid: PSID, ref: 'ret', timestamp: T });
      const first = classify(at(make(), { entryTime: ENTRY_TIME }), RECEIVED_AT);
      const second = classify(at(make(), { entryTime: ENTRY_TIME + 60_000 }), RECEIVED_AT + 60_000);
      expect(second.dedupeKey).toBe(first.dedupeKey);

      const plugin = () =>
        chatPluginReferral({
          pageId: PAGE,
          userRef: 'u',
          refererUri: 'https://a.b/',
          timestamp: T,
        });
      expect(keyOf(plugin())).toBe(keyOf(plugin()));

      const opt = () =>
        optin({ pageId: PAGE, userRef: 'u', ref: 'r', omitSender: true, timestamp: T });
      expect(keyOf(opt())).toBe(keyOf(opt()));
    });

    it('gives the same key whether the timestamp came in ms, seconds-as-ms or as a string', () => {
      const ms = 1_700_000_000_000;
      const a = referral({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: ms });
      const b = referral({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: inSeconds(ms) });
      const c = referral({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: asString(ms) });
      expect(keyOf(b)).toBe(keyOf(a));
      expect(keyOf(c)).toBe(keyOf(a));
    });

    it('gives different keys to items differing only in ref, timestamp or sender', () => {
      const base = keyOf(referral({ pageId: PAGE, psid: PSID, ref: 'r1', timestamp: T }));
      expect(keyOf(referral({ pageId: PAGE, psid: PSID, ref: 'r2', timestamp: T }))).not.toBe(base);
      expect(keyOf(referral({ pageId: PAGE, psid: PSID, ref: 'r1', timestamp: T + 1 }))).not.toBe(
        base,
      );
      expect(keyOf(referral({ pageId: PAGE, psid: '999', ref: 'r1', timestamp: T }))).not.toBe(
        base,
      );

      const optinKey = keyOf(optin({ pageId: PAGE, psid: PSID, ref: 'a', timestamp: T }));
      expect(keyOf(optin({ pageId: PAGE, psid: PSID, ref: 'b', timestamp: T }))).not.toBe(optinKey);

      const pluginKey = keyOf(
        chatPluginReferral({
          pageId: PAGE,
          userRef: 'u1',
          refererUri: 'https://a.b/',
          timestamp: T,
        }),
      );
      expect(
        keyOf(
          chatPluginReferral({
            pageId: PAGE,
            userRef: 'u2',
            refererUri: 'https://a.b/',
            timestamp: T,
          }),
        ),
      ).not.toBe(pluginKey);
    });

    it('gives different keys to a referral and an optin of the same user, time and ref', () => {
      const a = keyOf(referral({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: T }));
      const b = keyOf(optin({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: T }));
      expect(a).not.toBe(b);
    });
  });

  describe('occurredAt', () => {
    it.each<[string, unknown, number]>([
      ['milliseconds', T, T],
      ['seconds', inSeconds(T), 1_700_000_000_000],
      ['a string of milliseconds', asString(T), T],
      ['a string of seconds', asString(inSeconds(T)), 1_700_000_000_000],
      ['an ISO date', '2023-11-14T22:13:20.123Z', T],
    ])('reads item.timestamp as %s', (_name, timestamp, expected) => {
      const item = {
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp,
        referral: { ref: 'r' },
      };
      expect(classify(at(item), RECEIVED_AT).occurredAt).toEqual(new Date(expected));
    });

    it('falls back to the entry time when the item has no usable timestamp', () => {
      const item = {
        sender: { id: PSID },
        recipient: { id: PAGE },
        timestamp: 'soon',
        referral: {},
      };
      const result = classify(at(item, { entryTime: ENTRY_TIME }), RECEIVED_AT);
      expect(result.occurredAt).toEqual(new Date(ENTRY_TIME));
      expect(result.dedupeKey).toBe(`${PAGE}|psid:${PSID}|${ENTRY_TIME}|referral|-|messaging`);

      const noTimestamp = { sender: { id: PSID }, referral: { ref: 'r' } };
      expect(classify(at(noTimestamp, { entryTime: ENTRY_TIME }), RECEIVED_AT).occurredAt).toEqual(
        new Date(ENTRY_TIME),
      );
    });

    it('falls back to receivedAt when neither item nor entry has a usable time', () => {
      const item = { sender: { id: PSID }, referral: { ref: 'r' } };
      const result = classify(at(item, { entryTime: null }), RECEIVED_AT);
      expect(result.occurredAt).toEqual(new Date(RECEIVED_AT));
      expect(result.dedupeKey).toBe(`${PAGE}|psid:${PSID}|${RECEIVED_AT}|referral|r|messaging`);
      expect(classify(at(item, { entryTime: 0 }), RECEIVED_AT).occurredAt).toEqual(
        new Date(RECEIVED_AT),
      );
    });
  });

  it('passes pageId and standby through', () => {
    const item = readReceipt({ pageId: PAGE, psid: PSID, watermark: T, timestamp: T });
    const result = classify({ pageId: '42', standby: true, entryTime: null, item }, RECEIVED_AT);
    expect(result).toEqual({
      pageId: '42',
      senderKey: `psid:${PSID}`,
      kind: 'read',
      standby: true,
      occurredAt: new Date(T),
      dedupeKey: `42|psid:${PSID}|${T}|read|-|standby`,
      item,
    });
  });

  it('keys an echo by the page as sender (the page sent it)', () => {
    const result = classify(at(echo({ pageId: PAGE, psid: PSID, text: 'e', mid: 'm_e' })), 1);
    expect(result.kind).toBe('echo');
    expect(result.senderKey).toBe(`psid:${PAGE}`);
  });
});

describe('classify, edge cases', () => {
  it('keeps long refs apart: long dedupe keys are hashed, not cut', () => {
    const long = 'x'.repeat(1500);
    const a = keyOf(referral({ pageId: PAGE, psid: PSID, ref: `${long}a`, timestamp: T }));
    const b = keyOf(referral({ pageId: PAGE, psid: PSID, ref: `${long}b`, timestamp: T }));
    expect(a).toMatch(/^sha256:[\w-]{43}$/);
    expect(a).not.toBe(b);
    expect(keyOf(referral({ pageId: PAGE, psid: PSID, ref: `${long}a`, timestamp: T }))).toBe(a);
    expect(
      keyOf(referral({ pageId: PAGE, psid: PSID, ref: `${long}a`, timestamp: T }), {
        standby: true,
      }),
    ).not.toBe(a);
  });

  it('treats absurd timestamps as missing', () => {
    expect(toEpochMs(1e16)).toBeNull();
    expect(toEpochMs('99999999999999999')).toBeNull();
    const item = classify(
      at(referral({ pageId: PAGE, psid: PSID, ref: 'r', timestamp: 1e16 })),
      RECEIVED_AT,
    );
    expect(item.occurredAt).toEqual(new Date(ENTRY_TIME));
  });

  it('reads ISO dates as dates, whatever the year', () => {
    expect(toEpochMs('1970-01-02T00:00:00Z')).toBe(86_400_000);
  });
});
