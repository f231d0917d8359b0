import { createHmac } from 'node:crypto';
import {
  delivery,
  signBody,
  textMessage,
  toMetaJson,
} from '../../../test/support/messenger-payloads';
import { hasValidSignature } from './signature';

const SECRET = 'app-secret-0123456789';
const PAGE = '104000000000001';

const body = delivery(
  PAGE,
  [
    textMessage({
      pageId: PAGE,
      psid: '2400000000000001',
      text: 'Grüße 😀',
      mid: 'm_1',
      timestamp: 1_700_000_000_000,
    }),
  ],
  { time: 1_700_000_000_500 },
);
const metaJson = toMetaJson(body);
const raw = Buffer.from(metaJson, 'utf8');

function hex(data: string | Buffer, secret = SECRET): string {
  return createHmac('sha256', secret).update(data).digest('hex');
}

describe('hasValidSignature', () => {
  it('the raw body is escaped JSON, different from the re-serialised body', () => {
    // Sanity check of the fixture: Meta escapes non-ASCII, JSON.stringify does not.
    expect(metaJson).toContain('Gr\\u00fc\\u00dfe \\ud83d\\ude00');
    expect(metaJson).not.toContain('ü');
    const reserialised = JSON.stringify(JSON.parse(metaJson));
    expect(reserialised).toContain('Grüße 😀');
    expect(reserialised).not.toBe(metaJson);
  });

  it('accepts the signature Meta computes over the exact raw bytes', () => {
    expect(hasValidSignature(raw, signBody(metaJson, SECRET), SECRET)).toBe(true);
    expect(hasValidSignature(raw, `sha256=${hex(raw)}`, SECRET)).toBe(true);
  });

  it('accepts upper-case hex', () => {
    expect(hasValidSignature(raw, `sha256=${hex(raw).toUpperCase()}`, SECRET)).toBe(true);
  });

  it('rejects a signature computed over the re-serialised (unescaped) JSON', () => {
    const reserialised = JSON.stringify(JSON.parse(metaJson));
    const header = signBody(reserialised, SECRET);
    expect(hasValidSignature(raw, header, SECRET)).toBe(false);
    // ...which is only valid for the re-serialised bytes themselves.
    expect(hasValidSignature(Buffer.from(reserialised, 'utf8'), header, SECRET)).toBe(true);
  });

  it('rejects a body changed by one byte', () => {
    const changed = Buffer.from(metaJson.replace('m_1', 'm_2'), 'utf8');
    expect(hasValidSignature(changed, signBody(metaJson, SECRET), SECRET)).toBe(false);
  });

  it('rejects a missing header', () => {
    expect(hasValidSignature(raw, undefined, SECRET)).toBe(false);
    expect(hasValidSignature(raw, '', SECRET)).toBe(false);
  });

  it('rejects a wrong prefix', () => {
    const sha1 = createHmac('sha1', SECRET).update(raw).digest('hex');
    expect(hasValidSignature(raw, `sha1=${sha1}`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, `sha1=${hex(raw)}`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, `SHA256=${hex(raw)}`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, hex(raw), SECRET)).toBe(false);
    expect(hasValidSignature(raw, ` sha256=${hex(raw)}`, SECRET)).toBe(false);
  });

  it('rejects non-hex', () => {
    expect(hasValidSignature(raw, `sha256=${'z'.repeat(64)}`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, 'sha256=', SECRET)).toBe(false);
    const base64 = createHmac('sha256', SECRET).update(raw).digest('base64');
    expect(hasValidSignature(raw, `sha256=${base64}`, SECRET)).toBe(false);
  });

  it('rejects truncated hex', () => {
    const full = hex(raw);
    expect(hasValidSignature(raw, `sha256=${full.slice(0, 62)}`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, `sha256=${full.slice(0, 63)}`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, `sha256=${full.slice(0, 32)}`, SECRET)).toBe(false);
  });

  it('rejects hex that is too long', () => {
    expect(hasValidSignature(raw, `sha256=${hex(raw)}00`, SECRET)).toBe(false);
  });

  it('rejects a signature made with another secret', () => {
    expect(hasValidSignature(raw, signBody(metaJson, 'another-secret'), SECRET)).toBe(false);
    expect(hasValidSignature(raw, signBody(metaJson, SECRET), 'another-secret')).toBe(false);
  });
});

describe('hasValidSignature, strictness', () => {
  it('refuses a valid signature followed by anything else', () => {
    expect(hasValidSignature(raw, `sha256=${hex(raw)}`, SECRET)).toBe(true);
    expect(hasValidSignature(raw, `sha256=${hex(raw)}zz`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, `sha256=${hex(raw)}00`, SECRET)).toBe(false);
    expect(hasValidSignature(raw, ` sha256=${hex(raw)}`, SECRET)).toBe(false);
  });
});
