import { ConfigError, env, loadConfig, type ConfigSpec, type FieldSpec } from '@lanbridge/config';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const ACCESS_CORE_ENVS = ['development', 'test', 'production'] as const;
export type AccessCoreEnv = (typeof ACCESS_CORE_ENVS)[number];

export interface AccessCoreConfig {
  readonly ACCESS_CORE_HOST: string;
  readonly ACCESS_CORE_PORT: number;
  readonly DATABASE_URL: string | undefined;
  readonly DATABASE_SCHEMA: string | undefined;
  readonly ACCESS_CORE_DATA_DIR: string;
  readonly SITE_NAME: string;
  readonly LOG_LEVEL: LogLevel;
  /** Password of the `admin` operator seeded on first boot (required then in production). */
  readonly ACCESS_CORE_ADMIN_PASSWORD: string | undefined;
  readonly NODE_ENV: AccessCoreEnv;
  readonly AUTH_ACCESS_TOKEN_TTL_SECONDS: number;
  readonly AUTH_REFRESH_TOKEN_TTL_DAYS: number;
  readonly AUTH_LOGIN_WINDOW_SECONDS: number;
  readonly AUTH_LOGIN_MAX_PER_IP: number;
  readonly AUTH_LOGIN_MAX_PER_ACCOUNT: number;
  readonly MOBILE_COMMAND_WAIT_MS: number;
  readonly MOBILE_PHOTO_MAX_BYTES: number;
  /** AES-256-GCM key for personal data at rest (base64, 32 bytes); required in production. */
  readonly DATA_ENCRYPTION_KEY: Buffer | undefined;
  /** Retired keys still accepted for decryption (comma-separated base64), for key rotation. */
  readonly DATA_ENCRYPTION_OLD_KEYS: readonly Buffer[];
  /** PUSH `RequestDelay`: seconds between a terminal's polls. */
  readonly PUSH_REQUEST_DELAY_SEC: number;
  /** PUSH `ErrorDelay`: seconds a terminal waits after a failure. */
  readonly PUSH_ERROR_DELAY_SEC: number;
  /** A device is offline when it has not polled for this long; default 3 × RequestDelay + 5 s. */
  readonly DEVICE_OFFLINE_AFTER_MS: number | undefined;
  /** Refuse (401) terminal requests whose `token` cookie does not match. */
  readonly PUSH_CHECK_TOKEN: boolean;
  /**
   * Trust unknown serial numbers at once (approved into the default area). Off (the default):
   * they are recorded as pending and get nothing until an operator approves them.
   */
  readonly PUSH_AUTO_ENROLL: boolean;
  /** Largest terminal request body; larger → 413. */
  readonly PUSH_MAX_BODY_BYTES: number;
  /** The edge connector's uplink (e.g. http://127.0.0.1:8081/uplink); unset: nothing goes to the cloud. */
  readonly CLOUD_UPLINK_URL: string | undefined;
  /** The built site console served at `/`; unset: dist/apps/site-console next to this build. */
  readonly SITE_CONSOLE_DIR: string | undefined;
}

// The schema name is interpolated into DDL (CREATE SCHEMA, qualified table names), so only
// plain lower-case identifiers are accepted.
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function schemaName(description: string): FieldSpec<string | undefined> {
  return {
    description,
    parse: (raw) =>
      SCHEMA_NAME.test(raw)
        ? { ok: true, value: raw }
        : { ok: false, error: `must match ${SCHEMA_NAME.source}, got "${raw}"` },
    fallback: () => undefined,
  };
}

export const ACCESS_CORE_CONFIG_SPEC: ConfigSpec<AccessCoreConfig> = {
  ACCESS_CORE_HOST: env.string({ description: 'interface the HTTP server binds', default: '127.0.0.1' }),
  ACCESS_CORE_PORT: env.int({ description: 'HTTP port (0 = any free port)', default: 8090, min: 0, max: 65535 }),
  DATABASE_URL: env.optionalUrl({
    description: 'PostgreSQL URL; when absent an embedded PGlite database is used',
    protocols: ['postgres', 'postgresql'],
    secret: true,
  }),
  DATABASE_SCHEMA: schemaName('PostgreSQL schema for all tables (created if missing); default: the search_path'),
  ACCESS_CORE_DATA_DIR: env.string({
    description: 'directory of the embedded PGlite database (used only without DATABASE_URL)',
    default: '.data/access-core',
  }),
  SITE_NAME: env.string({ description: 'site name seeded into site_setting on first boot', default: 'Lanbridge site' }),
  LOG_LEVEL: env.oneOf({ description: 'pino log level', values: LOG_LEVELS, default: 'info' }),
  ACCESS_CORE_ADMIN_PASSWORD: env.optionalString({
    description:
      'password of the `admin` operator created on first boot when no operator exists; required then in production (development/test fall back to "admin-admin")',
    secret: true,
  }),
  NODE_ENV: env.oneOf({
    description: 'deployment kind; production refuses insecure defaults (the deploy files set production)',
    values: ACCESS_CORE_ENVS,
    default: 'development',
  }),
  AUTH_ACCESS_TOKEN_TTL_SECONDS: env.int({
    description: 'lifetime of mobile access tokens (EdDSA JWS)',
    default: 900,
    min: 30,
    max: 900,
  }),
  AUTH_REFRESH_TOKEN_TTL_DAYS: env.int({
    description: 'absolute lifetime of a refresh-token family',
    default: 30,
    min: 1,
    max: 365,
  }),
  AUTH_LOGIN_WINDOW_SECONDS: env.int({
    description: 'window of the login rate limits',
    default: 900,
    min: 1,
    max: 86400,
  }),
  AUTH_LOGIN_MAX_PER_IP: env.int({
    description: 'login attempts per client IP per window',
    default: 30,
    min: 1,
    max: 100000,
  }),
  AUTH_LOGIN_MAX_PER_ACCOUNT: env.int({
    description: 'failed login attempts per account per window',
    default: 5,
    min: 1,
    max: 1000,
  }),
  MOBILE_COMMAND_WAIT_MS: env.int({
    description: "how long a remote-control request waits for the terminal's result before answering pending",
    default: 10000,
    min: 0,
    max: 60000,
  }),
  MOBILE_PHOTO_MAX_BYTES: env.int({
    description: 'largest visitor photo (decoded bytes) accepted by the mobile API',
    default: 1048576,
    min: 1024,
    max: 8388608,
  }),
  DATA_ENCRYPTION_KEY: {
    description:
      'AES-256-GCM key (base64 of 32 bytes) for ID numbers, phone numbers, photos at rest; required in production (development/test use a fixed, public dev key)',
    secret: true,
    parse: (raw) => {
      const key = decodeKey(raw);
      return key ? { ok: true, value: key } : { ok: false, error: 'must be base64 of exactly 32 bytes' };
    },
    fallback: () => undefined,
  },
  DATA_ENCRYPTION_OLD_KEYS: {
    description: 'retired encryption keys (comma-separated base64, 32 bytes each), still used to decrypt',
    secret: true,
    parse: (raw) => {
      const keys = raw
        .split(',')
        .map((k) => k.trim())
        .filter((k) => k !== '')
        .map(decodeKey);
      return keys.every((k): k is Buffer => k !== undefined)
        ? { ok: true, value: keys }
        : { ok: false, error: 'every key must be base64 of exactly 32 bytes' };
    },
    fallback: () => [],
  },
  PUSH_REQUEST_DELAY_SEC: env.int({
    description: 'PUSH RequestDelay: seconds between terminal polls',
    default: 5,
    min: 1,
    max: 600,
  }),
  PUSH_ERROR_DELAY_SEC: env.int({
    description: 'PUSH ErrorDelay: seconds a terminal waits after an error',
    default: 30,
    min: 1,
    max: 600,
  }),
  DEVICE_OFFLINE_AFTER_MS: {
    description: 'a terminal is offline after this long without a request (default 3 × RequestDelay + 5 s)',
    parse: (raw) => {
      const n = Number(raw);
      return Number.isInteger(n) && n >= 100 && n <= 3_600_000
        ? { ok: true, value: n }
        : { ok: false, error: `must be an integer 100–3600000, got "${raw}"` };
    },
    fallback: () => undefined,
  },
  PUSH_CHECK_TOKEN: env.bool({
    description:
      'refuse terminal requests whose token cookie (MD5 of RegistryCode + SN + SessionID) does not match (401)',
    default: false,
  }),
  PUSH_AUTO_ENROLL: env.bool({
    description:
      'approve unknown terminals at once into the default area (they receive every person and right); off: they wait as pending for an operator',
    default: false,
  }),
  PUSH_MAX_BODY_BYTES: env.int({
    description: 'largest terminal request body (413 above)',
    default: 1048576,
    min: 1024,
    max: 16777216,
  }),
  CLOUD_UPLINK_URL: env.optionalUrl({
    description:
      'the edge connector\'s uplink, e.g. http://127.0.0.1:8081/uplink: pushes and device/event data (per the cloud settings) are posted there; unset: cloud features report uplink "not-configured"',
    protocols: ['http', 'https'],
  }),
  SITE_CONSOLE_DIR: env.optionalString({
    description: 'directory of the built site console served at / (default: dist/apps/site-console of this build)',
  }),
};

function decodeKey(raw: string): Buffer | undefined {
  const trimmed = raw.trim();
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(trimmed)) return undefined;
  const key = Buffer.from(trimmed, 'base64');
  return key.length === 32 ? key : undefined;
}

/** Validates the environment once at boot; throws ConfigError naming every bad key. */
export function loadAccessCoreConfig(source: Readonly<Record<string, string | undefined>>): AccessCoreConfig {
  const config = loadConfig(ACCESS_CORE_CONFIG_SPEC, source);
  if (config.NODE_ENV === 'production' && !config.DATA_ENCRYPTION_KEY) {
    throw new ConfigError([
      'DATA_ENCRYPTION_KEY: required in production (base64 of 32 random bytes: `openssl rand -base64 32`)',
    ]);
  }
  return config;
}
