import { createHash, createHmac, randomBytes } from 'node:crypto';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { Environment, type LogLevel, type NodeEnv, type ProcessRole } from './environment';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export interface MessengerConfig {
  readonly appSecret: string | undefined;
  readonly verifyToken: string | undefined;
  readonly graphApiUrl: string;
  readonly graphApiVersion: string;
  readonly sendRatePerSecond: number;
  /** The inbound job sends its replies itself (one queue hop) instead of queueing them. */
  readonly sendInline: boolean;
  /** A process that stores webhook items and runs workers handles them itself (no queue hop). */
  readonly inboundInProcess: boolean;
  /** Whether batches pair webhook items that come 4 to 7.5 ms apart on average (MESSENGER_INBOUND_PAIRING). */
  readonly inboundPairing: boolean;
  /** This app's id, for telling thread-control events about us from those about other apps. */
  readonly appId: string | undefined;
  /** The default `target_app_id` of pass_thread_control (the Page Inbox: 263902037438966). */
  readonly handoverAppId: string;
}

/** The typed configuration every module reads; built once from the environment and validated. */
export class AppConfig {
  readonly nodeEnv: NodeEnv;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string;
  readonly dbMigrationsRun: boolean;
  readonly dbPoolSize: number;
  readonly redisUrl: string;
  readonly queuePrefix: string;
  readonly adminToken: string;
  /** True when no ADMIN_TOKEN was given and one was generated for this run (development only). */
  readonly adminTokenGenerated: boolean;
  readonly publicBaseUrl: string;
  readonly processRole: ProcessRole;
  /** Widget Chat API calls per minute, per IP address and per visitor session. */
  readonly widgetRate: { perIp: number; perSession: number };
  readonly messenger: MessengerConfig;
  /** 32-byte key derived from SECRETS_KEY; encrypts page access tokens at rest. */
  readonly secretsKey: Buffer;
  readonly secretsKeyIsDevDefault: boolean;
  readonly logLevel: LogLevel;
  /** Every configured credential, as given: no log line may show one (src/common/logging). */
  readonly loggedSecrets: readonly string[];
  /** Fastify's `trustProxy`: whether and which proxies' `X-Forwarded-For` gives the client address. */
  readonly trustProxy: boolean | number | string[];
  /** 32-byte key salting the daily clicker hash of tracked links (CLICK_HASH_SECRET or SECRETS_KEY). */
  readonly clickHashKey: Buffer;

  constructor(env: Environment) {
    this.nodeEnv = env.NODE_ENV;
    this.port = env.PORT;
    this.host = env.HOST;
    this.databaseUrl = env.DATABASE_URL;
    this.dbMigrationsRun = env.DB_MIGRATIONS_RUN;
    this.dbPoolSize = env.DB_POOL_SIZE;
    this.redisUrl = env.REDIS_URL;
    this.queuePrefix = env.QUEUE_PREFIX;
    this.adminTokenGenerated = !env.ADMIN_TOKEN;
    this.adminToken = env.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
    // Unset, links point where this process serves, so they work on a developer's machine.
    this.publicBaseUrl = (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(
      /\/+$/,
      '',
    );
    this.processRole = env.PROCESS_ROLE;
    this.widgetRate = {
      perIp: env.WIDGET_RATE_PER_IP_PER_MINUTE,
      perSession: env.WIDGET_RATE_PER_SESSION_PER_MINUTE,
    };
    this.messenger = {
      appSecret: env.MESSENGER_APP_SECRET,
      verifyToken: env.MESSENGER_VERIFY_TOKEN,
      graphApiUrl: env.MESSENGER_GRAPH_API_URL.replace(/\/+$/, ''),
      graphApiVersion: env.MESSENGER_GRAPH_API_VERSION,
      sendRatePerSecond: env.MESSENGER_SEND_RATE_PER_SECOND,
      sendInline: env.MESSENGER_SEND_INLINE,
      inboundInProcess: env.MESSENGER_INBOUND_IN_PROCESS,
      inboundPairing: env.MESSENGER_INBOUND_PAIRING,
      appId: env.MESSENGER_APP_ID,
      handoverAppId: env.MESSENGER_HANDOVER_APP_ID,
    };
    this.secretsKeyIsDevDefault = !env.SECRETS_KEY;
    // A fixed development key keeps tokens readable across restarts; production must set its own.
    this.secretsKey = createHash('sha256')
      .update(env.SECRETS_KEY ?? 'development-only-secrets-key')
      .digest();
    this.logLevel = env.LOG_LEVEL;
    this.loggedSecrets = [
      this.adminToken,
      env.SECRETS_KEY,
      env.MESSENGER_APP_SECRET,
      env.MESSENGER_VERIFY_TOKEN,
      env.CLICK_HASH_SECRET,
    ].filter((value): value is string => value !== undefined);
    this.trustProxy = parseTrustProxy(env.TRUST_PROXY);
    this.clickHashKey = env.CLICK_HASH_SECRET
      ? createHash('sha256').update(env.CLICK_HASH_SECRET).digest()
      : createHmac('sha256', this.secretsKey).update('click-hash').digest();
  }

  get isProduction(): boolean {
    return this.nodeEnv === 'production';
  }

  get runsHttp(): boolean {
    return this.processRole !== 'worker';
  }

  get runsWorkers(): boolean {
    return this.processRole !== 'api';
  }
}

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true' || value === 'false') return value === 'true';
  if (/^\d+$/.test(value)) return Number(value);
  return value.split(',').map((address) => address.trim());
}

const PRODUCTION_REQUIRED: (keyof Environment)[] = ['ADMIN_TOKEN', 'SECRETS_KEY'];

/** Variables whose values are credentials: a refusal names them but never shows what they hold. */
const SECRET_NAME = /TOKEN|SECRET|KEY|PASSWORD/;

/** Drops a URL's user and password, whether or not the rest of it parses. */
export function withoutCredentials(url: string): string {
  const at = url.lastIndexOf('@');
  if (at < 0) return url;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0] ?? '';
  return `${scheme}[credentials hidden]${url.slice(at)}`;
}

function shownValue(property: string, value: unknown): string {
  if (SECRET_NAME.test(property)) return 'value hidden';
  if (typeof value !== 'string') return `got ${String(value)}`;
  return `got ${JSON.stringify(property.endsWith('_URL') ? withoutCredentials(value) : value)}`;
}

function describe(error: ValidationError): string {
  const reasons = Object.values(error.constraints ?? {})
    .map((message) => message.replace(new RegExp(`^${error.property} `), ''))
    .join(', ');
  return `${error.property} ${reasons} (${shownValue(error.property, error.value)})`;
}

/**
 * Reads and validates the environment. Throws a ConfigError whose message is one line naming
 * every bad variable, so the process can refuse to start with a clear reason.
 */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): AppConfig {
  // Empty values count as unset, so `PORT=` falls back to the default instead of failing.
  const raw = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const env = plainToInstance(Environment, raw);
  const problems = validateSync(env, { whitelist: true, stopAtFirstError: true }).map(describe);
  if (env.NODE_ENV === 'production') {
    for (const key of PRODUCTION_REQUIRED) {
      if (env[key] === undefined) problems.push(`${key} is required when NODE_ENV=production`);
    }
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  return new AppConfig(env);
}
