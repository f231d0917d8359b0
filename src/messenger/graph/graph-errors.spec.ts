import { isRetryable } from './graph-errors';

describe('isRetryable', () => {
  it.each([
    ['a network error', null, undefined],
    ['HTTP 500', 500, { code: 1 }],
    ['HTTP 503 without a body', 503, undefined],
    ['HTTP 429', 429, undefined],
    ['code 1200 (temporary send failure)', 400, { code: 1200 }],
    ['code 2 (service unavailable)', 400, { code: 2 }],
    ['code 4 (app request limit)', 400, { code: 4 }],
    ['code 32 (page request limit)', 400, { code: 32 }],
    ['code 613 (rate limit)', 400, { code: 613 }],
  ])('retries %s', (_name, status, error) => {
    expect(isRetryable(status, error)).toBe(true);
  });

  it.each([
    ['551 (person unavailable)', { code: 551, error_subcode: 1545041 }],
    ['200/1545041 (person unavailable)', { code: 200, error_subcode: 1545041 }],
    ['10/2018278 (outside the 24-hour window)', { code: 10, error_subcode: 2018278 }],
    ['100/2018001 (no matching user)', { code: 100, error_subcode: 2018001 }],
    ['190 (bad access token)', { code: 190 }],
    ['10/2018108', { code: 10, error_subcode: 2018108 }],
    ['an unknown client error', { code: 12345 }],
    ['a 400 without a body', undefined],
  ])('never retries %s', (_name, error) => {
    expect(isRetryable(400, error)).toBe(false);
  });
});
