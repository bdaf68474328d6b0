import { isIP } from 'node:net';
import { ConfigError, env, loadConfig, type ConfigSpec, type FieldSpec } from '@lanbridge/config';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Every setting of the edge connector. Only this file reads the environment. */
export interface ConnectorEnv {
  readonly BROKER_URL: string | undefined;
  readonly CLOUD_URL: string | undefined;
  readonly CONNECTOR_ID: string | undefined;
  readonly CONNECTOR_KEY_FILE: string;
  readonly LOCAL_APP_URL: string;
  readonly STATUS_HOST: string;
  readonly STATUS_PORT: number;
  readonly LOG_LEVEL: LogLevel;
  readonly BACKOFF_BASE_MS: number;
  readonly BACKOFF_MAX_MS: number;
  readonly HEALTHY_RESET_MS: number;
  readonly UPSTREAM_TIMEOUT_MS: number;
  readonly UPLINK_TIMEOUT_MS: number;
}

/** The status page shows tunnel state to anyone who can reach it, so it stays on loopback. */
function loopbackHost(description: string): FieldSpec<string> {
  return {
    description,
    fallback: () => '127.0.0.1',
    parse(raw) {
      const host = raw.trim();
      const bare = host.replace(/^\[(.*)\]$/, '$1');
      const loopback = bare === 'localhost' || bare === '::1' || (isIP(bare) === 4 && bare.startsWith('127.'));
      return loopback
        ? { ok: true, value: bare }
        : { ok: false, error: `must be a loopback address (127.0.0.1, ::1 or localhost), got "${raw}"` };
    },
  };
}

const SPEC: ConfigSpec<ConnectorEnv> = {
  BROKER_URL: env.optionalUrl({
    description: 'broker tunnel endpoint, e.g. wss://broker.example.com/tunnel/v1/connect',
    protocols: ['ws', 'wss'],
  }),
  CLOUD_URL: env.optionalUrl({
    description: 'cloud URL the activation page asks for the list of areas (GET /api/v1/areas); absent = built-in list',
    protocols: ['http', 'https'],
  }),
  CONNECTOR_ID: env.optionalString({
    description: 'connector id; normally absent: activation stores it in connector.json next to the key file',
  }),
  CONNECTOR_KEY_FILE: env.string({
    description: 'Ed25519 private key file (PKCS#8 PEM, mode 0600)',
    default: '.data/connector/connector.key',
  }),
  LOCAL_APP_URL: env.url({
    description: 'local application the tunnel forwards to (access-core)',
    default: 'http://127.0.0.1:8090',
    protocols: ['http'],
  }),
  STATUS_HOST: loopbackHost('status page bind address, loopback only'),
  STATUS_PORT: env.int({ description: 'status page port (0 = random)', default: 8081, min: 0, max: 65535 }),
  LOG_LEVEL: env.oneOf({ description: 'pino log level', default: 'info', values: LOG_LEVELS }),
  BACKOFF_BASE_MS: env.int({ description: 'reconnect backoff base', default: 1000, min: 1 }),
  BACKOFF_MAX_MS: env.int({ description: 'reconnect backoff cap', default: 30000, min: 1 }),
  HEALTHY_RESET_MS: env.int({
    description: 'a session up this long resets the backoff attempt counter',
    default: 60000,
    min: 0,
  }),
  UPSTREAM_TIMEOUT_MS: env.int({
    description: 'time the local application has to send a response head',
    default: 60000,
    min: 1,
  }),
  UPLINK_TIMEOUT_MS: env.int({
    description: 'time the broker has to answer an uplink request (POST /uplink/v1/...) before the caller gets 504',
    default: 30000,
    min: 1,
  }),
};

export interface ConnectorConfig {
  readonly brokerUrl: string;
  /** Where the activation page fetches the list of areas; undefined = built-in list. */
  readonly cloudUrl: string | undefined;
  readonly connectorId: string;
  readonly keyFile: string;
  readonly localAppUrl: string;
  readonly statusHost: string;
  readonly statusPort: number;
  readonly logLevel: LogLevel;
  readonly backoff: { readonly baseMs: number; readonly maxMs: number; readonly healthyResetMs: number };
  readonly upstreamTimeoutMs: number;
  readonly uplinkTimeoutMs: number;
}

/** Settings for commands that do not dial the broker (keygen, public-key, status). */
export type ConnectorLocalConfig = Omit<ConnectorConfig, 'brokerUrl' | 'connectorId'> & {
  readonly brokerUrl: string | undefined;
  readonly connectorId: string | undefined;
};

function read(source: Readonly<Record<string, string | undefined>>, requireTunnel: boolean): ConnectorLocalConfig {
  let e: ConnectorEnv | undefined;
  const problems: string[] = [];
  try {
    e = loadConfig(SPEC, source);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (requireTunnel) {
    // Report these together with any other bad key, so one run shows everything to fix.
    if (!source.BROKER_URL) problems.push(`BROKER_URL is required (${SPEC.BROKER_URL.description})`);
    if (!source.CONNECTOR_ID) problems.push(`CONNECTOR_ID is required (${SPEC.CONNECTOR_ID.description})`);
  }
  if (e && e.BACKOFF_MAX_MS < e.BACKOFF_BASE_MS) problems.push('BACKOFF_MAX_MS must be >= BACKOFF_BASE_MS');
  if (problems.length > 0 || !e) throw new ConfigError(problems);
  return {
    brokerUrl: e.BROKER_URL,
    cloudUrl: e.CLOUD_URL,
    connectorId: e.CONNECTOR_ID,
    keyFile: e.CONNECTOR_KEY_FILE,
    localAppUrl: e.LOCAL_APP_URL,
    statusHost: e.STATUS_HOST,
    statusPort: e.STATUS_PORT,
    logLevel: e.LOG_LEVEL,
    backoff: { baseMs: e.BACKOFF_BASE_MS, maxMs: e.BACKOFF_MAX_MS, healthyResetMs: e.HEALTHY_RESET_MS },
    upstreamTimeoutMs: e.UPSTREAM_TIMEOUT_MS,
    uplinkTimeoutMs: e.UPLINK_TIMEOUT_MS,
  };
}

/** Full config for running the tunnel; BROKER_URL and CONNECTOR_ID are required. */
export function loadConnectorConfig(source: Readonly<Record<string, string | undefined>>): ConnectorConfig {
  const c = read(source, true);
  return { ...c, brokerUrl: c.brokerUrl ?? '', connectorId: c.connectorId ?? '' };
}

/**
 * Config for the service and the local CLI commands: BROKER_URL and CONNECTOR_ID may be absent
 * (the connector then serves its activation page until activated).
 */
export function loadLocalConfig(source: Readonly<Record<string, string | undefined>>): ConnectorLocalConfig {
  return read(source, false);
}
