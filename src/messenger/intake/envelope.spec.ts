import {
  delivery,
  envelope,
  getStartedWithRef,
  readReceipt,
  referral,
  textMessage,
} from '../../../test/support/messenger-payloads';
import { EnvelopeError, type MalformedPart, parseEnvelope } from './envelope';

const PAGE = '104000000000001';
const OTHER_PAGE = '104000000000002';
const T = 1_700_000_000_000;

function rejection(body: unknown): string {
  try {
    parseEnvelope(body);
  } catch (error) {
    expect(error).toBeInstanceOf(EnvelopeError);
    return (error as Error).message;
  }
  throw new Error('parseEnvelope did not throw');
}

describe('parseEnvelope', () => {
  it('returns every item of every entry, from messaging and standby, in order', () => {
    const a = textMessage({ pageId: PAGE, psid: '1', text: 'a', mid: 'm_a', timestamp: T });
    const b = referral({ pageId: PAGE, psid: '2', ref: 'r-b', timestamp: T + 1 });
    const c = textMessage({ pageId: PAGE, psid: '3', text: 'c', mid: 'm_c', timestamp: T + 2 });
    const d = getStartedWithRef({ pageId: OTHER_PAGE, psid: '4', ref: 'r-d', mid: 'm_d' });
    const e = readReceipt({ pageId: OTHER_PAGE, psid: '5', watermark: T, timestamp: T + 3 });
    const body = envelope([
      { pageId: PAGE, time: T + 10, messaging: [a, b], standby: [c] },
      { pageId: OTHER_PAGE, time: T + 20, standby: [d, e] },
    ]);

    const items = parseEnvelope(body);

    expect(items).toEqual([
      { pageId: PAGE, standby: false, entryTime: T + 10, item: a },
      { pageId: PAGE, standby: false, entryTime: T + 10, item: b },
      { pageId: PAGE, standby: true, entryTime: T + 10, item: c },
      { pageId: OTHER_PAGE, standby: true, entryTime: T + 20, item: d },
      { pageId: OTHER_PAGE, standby: true, entryTime: T + 20, item: e },
    ]);
    // The item objects are passed through, not copied.
    expect(items[0].item).toBe(a);
    expect(items[4].item).toBe(e);
  });

  it('marks items from a standby delivery as standby', () => {
    const item = textMessage({ pageId: PAGE, psid: '1', text: 'x', mid: 'm_x', timestamp: T });
    expect(parseEnvelope(delivery(PAGE, [item], { standby: true, time: T }))).toEqual([
      { pageId: PAGE, standby: true, entryTime: T, item },
    ]);
    expect(parseEnvelope(delivery(PAGE, [item], { time: T }))).toEqual([
      { pageId: PAGE, standby: false, entryTime: T, item },
    ]);
  });

  it('accepts a numeric page id and returns it as a string', () => {
    const item = { sender: { id: '1' }, recipient: { id: PAGE }, timestamp: T, message: {} };
    const items = parseEnvelope({
      object: 'page',
      entry: [{ id: 104000000000001, time: T, messaging: [item] }],
    });
    expect(items).toEqual([{ pageId: '104000000000001', standby: false, entryTime: T, item }]);
  });

  it('gives a null entryTime when entry.time is missing or not a number', () => {
    const item = { sender: { id: '1' }, timestamp: T };
    expect(parseEnvelope({ object: 'page', entry: [{ id: PAGE, messaging: [item] }] })).toEqual([
      { pageId: PAGE, standby: false, entryTime: null, item },
    ]);
    expect(
      parseEnvelope({ object: 'page', entry: [{ id: PAGE, time: String(T), messaging: [item] }] }),
    ).toEqual([{ pageId: PAGE, standby: false, entryTime: null, item }]);
  });

  it('yields no items for an entry with neither messaging nor standby, or an empty entry list', () => {
    expect(parseEnvelope(envelope([{ pageId: PAGE, time: T }]))).toEqual([]);
    expect(parseEnvelope({ object: 'page', entry: [] })).toEqual([]);
    expect(parseEnvelope({ object: 'page', entry: [{ id: PAGE, messaging: [] }] })).toEqual([]);
  });

  describe('rejects', () => {
    it.each<[string, unknown, string]>([
      ['null', null, 'the body is not a JSON object'],
      ['a string', 'page', 'the body is not a JSON object'],
      ['a number', 42, 'the body is not a JSON object'],
      ['an array body', [{ object: 'page', entry: [] }], 'the body is not a JSON object'],
      ['a missing object field', { entry: [] }, '"object" must be "page"'],
      ['object "user"', { object: 'user', entry: [] }, '"object" must be "page"'],
      ['object "instagram"', { object: 'instagram', entry: [] }, '"object" must be "page"'],
      ['a missing entry', { object: 'page' }, '"entry" must be an array'],
      ['entry as an object', { object: 'page', entry: { id: PAGE } }, '"entry" must be an array'],
      ['entry as null', { object: 'page', entry: null }, '"entry" must be an array'],
    ])('%s', (_name, body, message) => {
      expect(rejection(body)).toBe(message);
    });

    it('an entry that is not an object, naming its index', () => {
      expect(rejection({ object: 'page', entry: [{ id: PAGE }, 'x'] })).toBe(
        'entry[1] is not an object',
      );
      expect(rejection({ object: 'page', entry: [null] })).toBe('entry[0] is not an object');
      expect(rejection({ object: 'page', entry: [{ id: PAGE }, [{ id: PAGE }]] })).toBe(
        'entry[1] is not an object',
      );
    });

    it.each<[string, unknown]>([
      ['missing', undefined],
      ['empty', ''],
      ['not digits', 'page-1'],
      ['digits with a sign', '-104'],
      ['a fraction', 1.5],
      ['negative', -104],
      ['an unsafe integer', 2 ** 53],
      ['too long', '1'.repeat(33)],
      ['an object', { id: PAGE }],
    ])('an entry id that is %s', (_name, id) => {
      expect(rejection({ object: 'page', entry: [{ id: PAGE }, { id, messaging: [] }] })).toBe(
        'entry[1].id is not a page id',
      );
    });

    it('messaging or standby that is not an array', () => {
      expect(rejection({ object: 'page', entry: [{ id: PAGE, messaging: {} }] })).toBe(
        'entry[0].messaging must be an array',
      );
      expect(
        rejection({ object: 'page', entry: [{ id: PAGE }, { id: PAGE, messaging: 'x' }] }),
      ).toBe('entry[1].messaging must be an array');
      expect(rejection({ object: 'page', entry: [{ id: PAGE, standby: null }] })).toBe(
        'entry[0].standby must be an array',
      );
    });

    it('an item that is not an object, naming its place', () => {
      const ok = { sender: { id: '1' }, timestamp: T };
      expect(
        rejection({
          object: 'page',
          entry: [
            { id: PAGE, messaging: [ok] },
            { id: PAGE, messaging: [7] },
          ],
        }),
      ).toBe('entry[1].messaging[0] is not an object');
      expect(rejection({ object: 'page', entry: [{ id: PAGE, messaging: [ok, null] }] })).toBe(
        'entry[0].messaging[1] is not an object',
      );
      expect(rejection({ object: 'page', entry: [{ id: PAGE, standby: [ok, ok, [ok]] }] })).toBe(
        'entry[0].standby[2] is not an object',
      );
    });
  });

  it('collects odd parts instead of throwing when asked, and reads the rest', () => {
    const ok = { sender: { id: '1' }, timestamp: T };
    const malformed: MalformedPart[] = [];
    const items = parseEnvelope(
      {
        object: 'page',
        entry: [
          null,
          { id: 'page-1', messaging: [ok] },
          { id: PAGE, messaging: [ok, 7], standby: {} },
        ],
      },
      malformed,
    );
    expect(items).toEqual([{ pageId: PAGE, standby: false, entryTime: null, item: ok }]);
    expect(malformed).toEqual([
      { pageId: null, reason: 'entry[0] is not an object', value: null },
      {
        pageId: null,
        reason: 'entry[1].id is not a page id',
        value: { id: 'page-1', messaging: [ok] },
      },
      { pageId: PAGE, reason: 'entry[2].messaging[1] is not an object', value: 7 },
      { pageId: PAGE, reason: 'entry[2].standby must be an array', value: {} },
    ]);
    // Not a page envelope at all is still refused.
    expect(() => parseEnvelope({ object: 'page', entry: {} }, malformed)).toThrow(EnvelopeError);
  });
});
