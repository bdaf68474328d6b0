import { env, loadConfig, type ConfigSpec, type FieldSpec } from '@lanbridge/config';

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface AccessCoreConfig {
  readonly ACCESS_CORE_HOST: string;
  readonly ACCESS_CORE_PORT: number;
  readonly DATABASE_URL: string | undefined;
  readonly DATABASE_SCHEMA: string | undefined;
  readonly ACCESS_CORE_DATA_DIR: string;
  readonly SITE_NAME: string;
  readonly LOG_LEVEL: LogLevel;
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
};

/** Validates the environment once at boot; throws ConfigError naming every bad key. */
export function loadAccessCoreConfig(source: Readonly<Record<string, string | undefined>>): AccessCoreConfig {
  return loadConfig(ACCESS_CORE_CONFIG_SPEC, source);
}
