import { type AppConfig, loadConfig } from '../config';
import { adminTokenBanner } from './admin-token-banner';

describe('adminTokenBanner', () => {
  it('shows a generated token and the URL of /docs to a person in development', () => {
    const config = loadConfig({ NODE_ENV: 'development', PORT: '4100' });
    const banner = adminTokenBanner(config)!;
    expect(banner).toContain(`Admin token:  ${config.adminToken}`);
    expect(banner).toContain('API docs:     http://localhost:4100/docs');
    // A short plain banner, not a log line.
    expect(banner.trim().split('\n').length).toBeLessThanOrEqual(5);
    expect(banner).not.toMatch(/^\{/m);
  });

  it('shows nothing in production, for a configured token, or in a worker', () => {
    const token = 'a-configured-admin-token-of-24-chars';
    const secrets = { ADMIN_TOKEN: token, SECRETS_KEY: 'k'.repeat(40) };
    expect(adminTokenBanner(loadConfig({ NODE_ENV: 'production', ...secrets }))).toBeNull();
    // Production refuses to start without ADMIN_TOKEN; were a token generated there all the same,
    // it would still not be shown.
    const generated = loadConfig({ NODE_ENV: 'development' });
    const production = Object.create(generated, { isProduction: { value: true } }) as AppConfig;
    expect(adminTokenBanner(generated)).not.toBeNull();
    expect(adminTokenBanner(production)).toBeNull();
    expect(
      adminTokenBanner(loadConfig({ NODE_ENV: 'development', ADMIN_TOKEN: token })),
    ).toBeNull();
    expect(
      adminTokenBanner(loadConfig({ NODE_ENV: 'development', PROCESS_ROLE: 'worker' })),
    ).toBeNull();
  });
});
