import { hostname } from 'node:os';
import { env, loadConfig } from '@lanbridge/config';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const spec = {
  BROKER_HOST: env.string({ description: 'interface the HTTP server binds', default: '127.0.0.1' }),
  BROKER_PORT: env.int({ description: 'HTTP port (0 = random, for tests)', default: 8080, min: 0, max: 65535 }),
  BROKER_PUBLIC_URL: env.url({
    description: 'URL clients and connectors use to reach this broker',
    default: 'http://127.0.0.1:8080',
    protocols: ['http', 'https'],
  }),
  DATABASE_URL: env.optionalUrl({
    description: 'PostgreSQL URL; absent = embedded PGlite in BROKER_DATA_DIR',
    protocols: ['postgres', 'postgresql'],
    secret: true,
  }),
  DATABASE_SCHEMA: env.string({ description: 'PostgreSQL schema for the broker tables', default: 'public' }),
  BROKER_DATA_DIR: env.string({ description: 'directory of the embedded PGlite database', default: '.data/broker' }),
  REDIS_URL: env.optionalUrl({
    description: 'Redis URL (reserved for the cluster directory)',
    protocols: ['redis', 'rediss'],
  }),
  NODE_ID: env.optionalString({ description: 'broker node id for logs and HA; default hostname-pid' }),
  LOG_LEVEL: env.oneOf({ description: 'pino log level', default: 'info', values: LOG_LEVELS }),
  INGRESS_TIMEOUT_MS: env.int({ description: 'time allowed for the response head', default: 60_000, min: 1 }),
  DRAIN_TIMEOUT_MS: env.int({
    description: 'graceful shutdown: time in-flight requests may run',
    default: 15_000,
    min: 0,
  }),
};

export interface BrokerConfig {
  readonly host: string;
  readonly port: number;
  readonly publicUrl: string;
  /** `http` or `https`: what clients used, sent on as X-Forwarded-Proto (TLS ends in front of us). */
  readonly publicProto: 'http' | 'https';
  readonly database:
    | { readonly kind: 'postgres'; readonly url: string; readonly schema: string }
    | { readonly kind: 'pglite'; readonly dataDir: string; readonly schema: string };
  readonly redisUrl: string | undefined;
  readonly nodeId: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly ingressTimeoutMs: number;
  readonly drainTimeoutMs: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** Reads and checks the broker's environment; throws ConfigError naming every bad key. */
export function loadBrokerConfig(source: Readonly<Record<string, string | undefined>>): BrokerConfig {
  const c = loadConfig(
    {
      ...spec,
      DATABASE_SCHEMA: {
        ...spec.DATABASE_SCHEMA,
        // The schema name is interpolated into DDL, so only plain identifiers pass.
        parse: (raw: string) =>
          SCHEMA_NAME.test(raw)
            ? { ok: true as const, value: raw }
            : { ok: false as const, error: `must be a lower-case SQL identifier, got "${raw}"` },
      },
    },
    source,
  );
  const schema = c.DATABASE_SCHEMA;
  return {
    host: c.BROKER_HOST,
    port: c.BROKER_PORT,
    publicUrl: c.BROKER_PUBLIC_URL.replace(/\/+$/, ''),
    publicProto: new URL(c.BROKER_PUBLIC_URL).protocol === 'https:' ? 'https' : 'http',
    database: c.DATABASE_URL
      ? { kind: 'postgres', url: c.DATABASE_URL, schema }
      : { kind: 'pglite', dataDir: c.BROKER_DATA_DIR, schema },
    redisUrl: c.REDIS_URL,
    nodeId: c.NODE_ID ?? `${hostname()}-${process.pid}`,
    logLevel: c.LOG_LEVEL,
    ingressTimeoutMs: c.INGRESS_TIMEOUT_MS,
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
  };
}
