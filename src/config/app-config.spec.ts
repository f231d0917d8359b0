import { ConfigError, loadConfig } from './app-config';

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      nodeEnv: 'development',
      port: 3000,
      host: '0.0.0.0',
      databaseUrl: 'postgres://postgres@127.0.0.1:5432/botplatform',
      dbMigrationsRun: true,
      redisUrl: 'redis://127.0.0.1:6379',
      publicBaseUrl: 'http://localhost:3000',
      processRole: 'all',
      logLevel: 'info',
      adminTokenGenerated: true,
      secretsKeyIsDevDefault: true,
      messenger: {
        graphApiUrl: 'https://graph.facebook.com',
        graphApiVersion: 'v21.0',
        appSecret: undefined,
        inboundPairing: false,
      },
    });
    expect(config.adminToken.length).toBeGreaterThanOrEqual(32);
    expect(config.runsHttp && config.runsWorkers).toBe(true);
  });

  it('reads typed values and treats empty ones as unset', () => {
    const config = loadConfig({
      PORT: '8080',
      DB_MIGRATIONS_RUN: 'false',
      PROCESS_ROLE: 'worker',
      PUBLIC_BASE_URL: 'https://bots.example.com/',
      HOST: '',
      ADMIN_TOKEN: 'a'.repeat(32),
      MESSENGER_INBOUND_PAIRING: 'true',
    });
    expect(config.port).toBe(8080);
    expect(config.messenger.inboundPairing).toBe(true);
    expect(config.dbMigrationsRun).toBe(false);
    expect(config.runsHttp).toBe(false);
    expect(config.runsWorkers).toBe(true);
    expect(config.publicBaseUrl).toBe('https://bots.example.com');
    expect(config.host).toBe('0.0.0.0');
    expect(config.adminTokenGenerated).toBe(false);
  });

  it('points links at the serving port when PUBLIC_BASE_URL is unset', () => {
    expect(loadConfig({ PORT: '8080' }).publicBaseUrl).toBe('http://localhost:8080');
    expect(loadConfig({ PORT: '8080', PUBLIC_BASE_URL: 'https://x.example' }).publicBaseUrl).toBe(
      'https://x.example',
    );
  });

  it('derives a 32-byte secrets key from SECRETS_KEY', () => {
    const a = loadConfig({ SECRETS_KEY: 'k'.repeat(40) });
    const b = loadConfig({ SECRETS_KEY: 'j'.repeat(40) });
    expect(a.secretsKey).toHaveLength(32);
    expect(a.secretsKey.equals(b.secretsKey)).toBe(false);
  });

  it.each([
    [{ PORT: 'eighty' }, 'PORT must be an integer from 0 to 65535 (got "eighty")'],
    [{ PORT: '70000' }, 'PORT must be an integer from 0 to 65535 (got 70000)'],
    [
      { DATABASE_URL: 'mysql://db/x' },
      'DATABASE_URL must be a URL starting with postgres:// or postgresql://',
    ],
    [
      { REDIS_URL: 'localhost:6379' },
      'REDIS_URL must be a URL starting with redis:// or rediss://',
    ],
    [
      { PROCESS_ROLE: 'both' },
      'PROCESS_ROLE must be one of the following values: all, api, worker',
    ],
    [{ DB_MIGRATIONS_RUN: 'maybe' }, 'DB_MIGRATIONS_RUN must be a boolean value'],
    [
      { MESSENGER_INBOUND_PAIRING: 'sometimes' },
      'MESSENGER_INBOUND_PAIRING must be a boolean value',
    ],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN must be at least 24 characters'],
    [{ SECRETS_KEY: 'short' }, 'SECRETS_KEY must be at least 32 characters'],
    [{ MESSENGER_GRAPH_API_VERSION: '21' }, 'MESSENGER_GRAPH_API_VERSION must look like v21.0'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL must be one of the following values'],
    [
      { NODE_ENV: 'production' },
      'ADMIN_TOKEN is required when NODE_ENV=production; SECRETS_KEY is required',
    ],
  ])('refuses %j with one line naming the variable', (env, expected) => {
    let error: unknown;
    try {
      loadConfig(env);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message.startsWith('Invalid configuration: ')).toBe(true);
    expect(message).toContain(expected);
    expect(message).not.toContain('\n');
  });

  it.each([
    ['ADMIN_TOKEN', 'short-admin-secret'],
    ['SECRETS_KEY', 'short-secrets-key'],
    ['SECRETS_KEY', `long-secrets-key-${'x'.repeat(600)}`],
  ])('never shows the value of a bad %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`${name} must be`);
    expect(() => loadConfig({ [name]: value })).toThrow('(value hidden)');
    expect(() => loadConfig({ [name]: value })).not.toThrow(value.slice(0, 12));
  });

  it.each([
    ['DATABASE_URL', 'mysql://admin:hunter2@db:3306/x', 'mysql://[credentials hidden]@db:3306/x'],
    ['DATABASE_URL', 'admin:hunter2@db:5432/x', '[credentials hidden]@db:5432/x'],
    ['REDIS_URL', 'http://:hunter2@cache:6379', 'http://[credentials hidden]@cache:6379'],
    ['REDIS_URL', 'redis://user:hun@ter2@', 'redis://[credentials hidden]@'],
  ])('shows a bad %s without its credentials', (name, value, shown) => {
    expect(() => loadConfig({ [name]: value })).toThrow(`(got "${shown}")`);
    expect(() => loadConfig({ [name]: value })).not.toThrow('hunter2');
    expect(() => loadConfig({ [name]: value })).not.toThrow('hun');
  });
});
