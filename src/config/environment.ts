import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { IsIntInRange, IsUrlWithProtocol } from './validators';

export const PROCESS_ROLES = ['all', 'api', 'worker'] as const;
export type ProcessRole = (typeof PROCESS_ROLES)[number];

export const NODE_ENVS = ['development', 'production', 'test'] as const;
export type NodeEnv = (typeof NODE_ENVS)[number];

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** `true`, `false`, a hop count, or addresses / CIDR ranges separated by commas. */
const TRUST_PROXY_PATTERN = /^(true|false|\d{1,3}|[0-9a-fA-F.:/]+(\s*,\s*[0-9a-fA-F.:/]+)*)$/;

const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value;

const toBool = ({ value }: { value: unknown }): unknown => {
  if (typeof value !== 'string') return value;
  const v = value.trim().toLowerCase();
  if (['true', '1', 'yes'].includes(v)) return true;
  if (['false', '0', 'no'].includes(v)) return false;
  return value;
};

/**
 * The environment variables the service reads, with their defaults. Names are a contract with
 * deployment tooling: keep them.
 */
export class Environment {
  @IsIn(NODE_ENVS)
  NODE_ENV: NodeEnv = 'development';

  @Transform(toInt)
  @IsIntInRange(0, 65535)
  PORT = 3000;

  @IsString()
  @MinLength(1)
  HOST = '0.0.0.0';

  @IsUrlWithProtocol(['postgres:', 'postgresql:'])
  DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/botplatform';

  @Transform(toBool)
  @IsBoolean()
  DB_MIGRATIONS_RUN = true;

  @Transform(toInt)
  @IsIntInRange(2, 200)
  DB_POOL_SIZE = 20;

  @IsUrlWithProtocol(['redis:', 'rediss:'])
  REDIS_URL = 'redis://127.0.0.1:6379';

  @Matches(/^[A-Za-z0-9_-]{1,40}$/, { message: 'must be 1-40 letters, digits, "-" or "_"' })
  QUEUE_PREFIX = 'bp';

  @IsOptional()
  @IsString()
  @MinLength(24, { message: 'must be at least 24 characters' })
  ADMIN_TOKEN?: string;

  /** Unset: `http://localhost:<PORT>`, where this process serves (AppConfig). */
  @IsOptional()
  @IsUrlWithProtocol(['http:', 'https:'])
  PUBLIC_BASE_URL?: string;

  @IsIn(PROCESS_ROLES)
  PROCESS_ROLE: ProcessRole = 'all';

  /** Widget Chat API calls one IP address may make per minute. */
  @Transform(toInt)
  @IsIntInRange(1, 1_000_000)
  WIDGET_RATE_PER_IP_PER_MINUTE = 300;

  /** Widget Chat API calls one visitor session may make per minute. */
  @Transform(toInt)
  @IsIntInRange(1, 1_000_000)
  WIDGET_RATE_PER_SESSION_PER_MINUTE = 60;

  @IsOptional()
  @IsString()
  @MinLength(1)
  MESSENGER_APP_SECRET?: string;

  @IsOptional()
  @IsString()
  @MinLength(1)
  MESSENGER_VERIFY_TOKEN?: string;

  @IsUrlWithProtocol(['http:', 'https:'])
  MESSENGER_GRAPH_API_URL = 'https://graph.facebook.com';

  @Matches(/^v\d+\.\d+$/, { message: 'must look like v21.0' })
  MESSENGER_GRAPH_API_VERSION = 'v21.0';

  @Transform(toInt)
  @IsIntInRange(1, 10000)
  MESSENGER_SEND_RATE_PER_SECOND = 300;

  /**
   * Whether the inbound job sends the replies it wrote itself (one queue hop, the default) instead
   * of queueing them on `outbound` (false: two hops, a slower answer, the same guarantees). The
   * chaos suite runs it through every fault (see docs/OPERATIONS.md).
   */
  @Transform(toBool)
  @IsBoolean()
  MESSENGER_SEND_INLINE = true;

  /**
   * Whether a process that takes the webhook and runs the workers (PROCESS_ROLE=all) handles the
   * items it stored itself, with no queue hop (the default; up to a bound, past which items are
   * queued), instead of queueing every item on `messenger-inbound`. The items are in Postgres
   * first either way: one whose process dies is queued by the inbox sweeper.
   */
  @Transform(toBool)
  @IsBoolean()
  MESSENGER_INBOUND_IN_PROCESS = true;

  /**
   * Whether, while webhook items come 4 to 7.5 ms apart on average (about 133 to 250 per second),
   * a batch that would take a lone item waits for the next one (8 ms at most) so that the two share
   * a transaction: 17-29% less CPU per delivery at 150/s, and half the deliveries
   * answered one gap (about 7 ms) later. Off by default: an answer as soon as it can be.
   */
  @Transform(toBool)
  @IsBoolean()
  MESSENGER_INBOUND_PAIRING = false;

  /**
   * This app's Meta app id: a pass_thread_control naming it as new owner ends a handover. Unset,
   * every pass_thread_control delivered here counts as passed to us (Meta sends it to the new owner).
   */
  @IsOptional()
  @Matches(/^\d{1,32}$/, { message: 'must be a Meta app id (digits)' })
  MESSENGER_APP_ID?: string;

  /** Where a handover module passes the thread unless it names an app: Meta's Page Inbox. */
  @Matches(/^\d{1,32}$/, { message: 'must be a Meta app id (digits)' })
  MESSENGER_HANDOVER_APP_ID = '263902037438966';

  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  @MaxLength(512)
  SECRETS_KEY?: string;

  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /**
   * Whether the client address is read from `X-Forwarded-For` (Fastify's `trustProxy`): `false`,
   * `true` (any proxy), a hop count, or a comma-separated list of proxy addresses or CIDR ranges.
   */
  @Matches(TRUST_PROXY_PATTERN, {
    message: 'must be true, false, a hop count or a comma-separated list of addresses or CIDRs',
  })
  TRUST_PROXY = 'false';

  /** Salts the daily hash of a tracked-link clicker; derived from SECRETS_KEY when unset. */
  @IsOptional()
  @IsString()
  @MinLength(32, { message: 'must be at least 32 characters' })
  @MaxLength(512)
  CLICK_HASH_SECRET?: string;
}
