import { randomBytes } from 'node:crypto';
import { SecretCipher } from './secret-cipher';

describe('SecretCipher', () => {
  const cipher = new SecretCipher(randomBytes(32));

  it('round-trips a secret without keeping the plaintext in the stored form', () => {
    const stored = cipher.encrypt('EAAB-page-token-äöü');
    expect(stored).not.toContain('EAAB');
    expect(stored.startsWith('v1.')).toBe(true);
    expect(cipher.decrypt(stored)).toBe('EAAB-page-token-äöü');
  });

  it('uses a fresh IV for every encryption', () => {
    expect(cipher.encrypt('same')).not.toBe(cipher.encrypt('same'));
  });

  it('rejects a tampered ciphertext and a different key', () => {
    const stored = cipher.encrypt('secret');
    const parts = stored.split('.');
    const body = Buffer.from(parts[3], 'base64url');
    body[0] = body[0] ^ 1;
    parts[3] = body.toString('base64url');
    expect(() => cipher.decrypt(parts.join('.'))).toThrow();
    expect(() => new SecretCipher(randomBytes(32)).decrypt(stored)).toThrow();
  });

  it('rejects an unknown format', () => {
    expect(() => cipher.decrypt('plain-token')).toThrow('Unrecognised secret format');
  });
});
