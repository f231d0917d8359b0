/**
 * Query parameters whose values are credentials, matched on the decoded, lower-cased name: Meta's
 * `hub.verify_token` and Graph's `access_token`, and any name that says token, secret, password,
 * signature or key, so `hub%2Everify_token` or `?apiKey=` cannot carry one into a log line.
 */
const SECRET_NAME = /token|secret|passw(?:or)?d|signature|proof|key/;

/** Meta page access tokens start with EAA; bot API keys with bpk_ (src/auth). */
const TOKEN_SHAPES = [/\bEAA[A-Za-z0-9]{16,}/g, /\bbpk_[A-Za-z0-9_-]{8,}/g];

/** Values shorter than this are not searched for in log lines: they would match ordinary text. */
const MIN_SCRUBBED_LENGTH = 8;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/** `url` with the value of every query parameter whose decoded name is a credential's replaced. */
export function redactUrl(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return url;
  const query = url
    .slice(start + 1)
    .split('&')
    .map((pair) => {
      const equals = pair.indexOf('=');
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return equals >= 0 && SECRET_NAME.test(decoded(name).toLowerCase())
        ? `${name}=[redacted]`
        : pair;
    });
  return `${url.slice(0, start + 1)}${query.join('&')}`;
}

/**
 * A last line of defence over whole log lines: every configured secret (as is, percent-encoded
 * and JSON-escaped), and anything shaped like a page token or a bot key, becomes `[redacted]`,
 * wherever in the line it appears (an error message quoting a Graph URL, a header echoed back).
 */
export function secretScrubber(secrets: readonly (string | undefined)[]): (line: string) => string {
  const forms = new Set<string>();
  for (const secret of secrets) {
    if (!secret || secret.length < MIN_SCRUBBED_LENGTH) continue;
    forms.add(secret);
    forms.add(encodeURIComponent(secret));
    forms.add(JSON.stringify(secret).slice(1, -1));
  }
  const values = [...forms].sort((a, b) => b.length - a.length);
  return (line) => {
    let scrubbed = line;
    for (const value of values) {
      if (scrubbed.includes(value)) scrubbed = scrubbed.replaceAll(value, '[redacted]');
    }
    for (const shape of TOKEN_SHAPES) scrubbed = scrubbed.replace(shape, '[redacted]');
    return scrubbed;
  };
}
