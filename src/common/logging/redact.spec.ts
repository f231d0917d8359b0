import fc from 'fast-check';
import { redactUrl, secretScrubber } from './redact';

/** `name` with a random subset of its characters percent-encoded, in either case. */
const encodedForms = (name: string): fc.Arbitrary<string> =>
  fc
    .array(fc.constantFrom('plain', 'upper', 'lower'), {
      minLength: name.length,
      maxLength: name.length,
    })
    .map((choices) =>
      [...name]
        .map((char, i) => {
          const hex = char.charCodeAt(0).toString(16).padStart(2, '0');
          if (choices[i] === 'plain') return char;
          return `%${choices[i] === 'upper' ? hex.toUpperCase() : hex}`;
        })
        .join(''),
    );

describe('redactUrl', () => {
  it('redacts by the decoded name, however the name is encoded', () => {
    expect(redactUrl('/w?hub%2Everify_token=s3cret&hub.challenge=1')).toBe(
      '/w?hub%2Everify_token=[redacted]&hub.challenge=1',
    );
    fc.assert(
      fc.property(
        fc.constantFrom('hub.verify_token', 'access_token', 'token', 'apiKey', 'app_secret'),
        fc.string({ minLength: 1 }).map(encodeURIComponent),
        fc.nat(3),
        (name, value, position) =>
          fc.assert(
            fc.property(encodedForms(name), (encoded) => {
              const pairs = ['a=1', 'b=2', 'c=3'];
              pairs.splice(position, 0, `${encoded}=${value}`);
              const redacted = redactUrl(`/path?${pairs.join('&')}`);
              expect(redacted).toBe(
                `/path?${pairs.join('&').replace(`${encoded}=${value}`, `${encoded}=[redacted]`)}`,
              );
            }),
            { seed: 9, numRuns: 5 },
          ),
      ),
      { seed: 9, numRuns: 200 },
    );
  });

  it('leaves other parameters and URLs without a query alone', () => {
    expect(redactUrl('/api/v1/bots?limit=5&cursor=abc')).toBe('/api/v1/bots?limit=5&cursor=abc');
    expect(redactUrl('/health')).toBe('/health');
    expect(redactUrl('/x?%E0%A4%A=1')).toBe('/x?%E0%A4%A=1');
  });
});

describe('secretScrubber', () => {
  it('removes configured secrets in plain, percent-encoded and JSON-escaped form, and token shapes', () => {
    const scrub = secretScrubber(['admin-token-value/+1', 'short', undefined]);
    expect(scrub('a admin-token-value/+1 b admin-token-value%2F%2B1 c')).toBe(
      'a [redacted] b [redacted] c',
    );
    expect(scrub('"url":"/me/messages?access=EAAtest0123456789abcdef" bpk_abcdefgh12345')).toBe(
      '"url":"/me/messages?access=[redacted]" [redacted]',
    );
    // Too short to look for without mangling ordinary text.
    expect(scrub('a short line')).toBe('a short line');
  });
});
