import {
  formatStats,
  FUZZ_WIDGET_RATES,
  fuzzApi,
  makeTenantsThroughApi,
} from '../../scripts/api-fuzzer';
import { startTestApp, type TestApp } from '../support/test-app';

/** The smaller run of `npm run fuzz`: every operation of /docs-json, 50 generated requests each. */
describe('Fuzzing the API from its OpenAPI document', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp(FUZZ_WIDGET_RATES);
  });
  afterAll(() => t.close());

  it('answers no request with a 5xx, an error outside the one shape, or another tenant’s data', async () => {
    const rows = await fuzzApi({
      baseUrl: t.http.baseUrl,
      adminToken: t.config.adminToken,
      makeTenants: () => makeTenantsThroughApi(t.http.baseUrl, t.config.adminToken),
      runsPerOperation: 50,
      seed: 9,
      concurrency: 4,
    });
    expect(rows.length).toBeGreaterThanOrEqual(30);
    const failing = rows.filter((r) => r['5xx'] > 0 || r.wrongShape > 0 || r.crossTenant > 0);
    expect(failing.length === 0 ? 'clean' : formatStats(failing)).toBe('clean');
    // Each operation got its requests, and the generator reached past validation somewhere (a
    // success is 2xx, or the tracked link's 302).
    for (const row of rows) expect(row.requests).toBe(50);
    expect(rows.filter((r) => r['2xx'] + r['3xx'] > 0).length).toBeGreaterThan(rows.length / 2);
  }, 300_000);
});
