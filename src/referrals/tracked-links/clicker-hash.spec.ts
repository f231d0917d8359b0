import { ClickerHash } from './clicker-hash';

describe('ClickerHash', () => {
  const secret = Buffer.alloc(32, 7);
  const day = new Date('2026-12-06T10:00:00Z');

  it('is 16 bytes, alike for one (IP, User-Agent) on one UTC day', () => {
    const hash = new ClickerHash(secret);
    const a = hash.of('203.0.113.9', 'UA', day);
    expect(a).toHaveLength(16);
    expect(hash.of('203.0.113.9', 'UA', new Date('2026-12-06T23:59:59Z'))).toEqual(a);
  });

  it('differs across days, addresses, agents and secrets, and never holds the address', () => {
    const hash = new ClickerHash(secret);
    const a = hash.of('203.0.113.9', 'UA', day);
    expect(hash.of('203.0.113.9', 'UA', new Date('2026-12-07T00:00:00Z'))).not.toEqual(a);
    expect(hash.of('203.0.113.10', 'UA', day)).not.toEqual(a);
    expect(hash.of('203.0.113.9', 'UA2', day)).not.toEqual(a);
    expect(new ClickerHash(Buffer.alloc(32, 8)).of('203.0.113.9', 'UA', day)).not.toEqual(a);
    expect(a.toString('latin1')).not.toContain('203.0.113.9');
  });

  it('keeps the parts apart: ("1.2.3.4", "5 UA") is not ("1.2.3.45", " UA")', () => {
    const hash = new ClickerHash(secret);
    expect(hash.of('1.2.3.4', '5 UA', day)).not.toEqual(hash.of('1.2.3.45', ' UA', day));
  });
});
