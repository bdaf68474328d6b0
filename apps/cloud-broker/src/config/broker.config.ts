import { hostname } from 'node:os';
import { ConfigError, env, loadConfig } from '@lanbridge/config';
import { type CorsPolicy, parseCorsOrigins } from '../http/cors';
import { DEFAULT_PUSH_ENDPOINT_HOSTS, parsePushEndpointHosts, type PushEndpointPolicy } from '../push/push-endpoint';
import { type VapidKeys, vapidKeyProblem, vapidSubjectProblem } from '../push/vapid-keys';

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
    description: 'Redis URL: shared rate limits, push queues and (with BROKER_NODE_URL) the tunnel directory',
    protocols: ['redis', 'rediss'],
    secret: true,
  }),
  BROKER_NODE_URL: env.optionalUrl({
    description:
      'URL other broker nodes use to reach this one (e.g. http://10.1.2.3:8080); with REDIS_URL and BROKER_PEER_SECRET, a request for a site whose tunnel is on another node is forwarded there',
    protocols: ['http', 'https'],
  }),
  BROKER_PEER_SECRET: env.optionalString({
    description:
      'secret shared by the broker nodes of one cluster (at least 32 characters); proves a forwarded request',
    secret: true,
  }),
  NODE_ID: env.optionalString({ description: 'broker node id for logs and HA; default hostname-pid' }),
  LOG_LEVEL: env.oneOf({ description: 'pino log level', default: 'info', values: LOG_LEVELS }),
  INGRESS_TIMEOUT_MS: env.int({ description: 'time allowed for the response head', default: 60_000, min: 1 }),
  INGRESS_SIGNIN_MAX_PER_IP: env.int({
    description: 'site sign-in requests (hello, login, refresh) per organisation and client IP per window, then 429',
    default: 30,
    min: 1,
  }),
  INGRESS_SIGNIN_MAX_PER_ORG: env.int({
    description: 'site sign-in requests per organisation (all clients) per window, then 429',
    default: 600,
    min: 1,
  }),
  INGRESS_SIGNIN_WINDOW_S: env.int({ description: 'window of the site sign-in limits', default: 60, min: 1 }),
  INGRESS_PUBLIC_MAX_BODY_BYTES: env.int({
    description:
      'largest body of a request a site-session organisation lets through without a token (sign-in, JWKS, privacy policy), then 413',
    default: 16 * 1024,
    min: 0,
    max: 1024 * 1024,
  }),
  CORS_ORIGINS: env.optionalString({
    description:
      'browser origins (comma-separated, e.g. https://app.example.com) allowed to call the client ingress and the public API cross-origin, or * for any; absent = none',
  }),
  DRAIN_TIMEOUT_MS: env.int({
    description: 'graceful shutdown: time in-flight requests may run',
    default: 15_000,
    min: 0,
  }),
  SMTP_URL: env.optionalUrl({
    description: 'SMTP server for account mail (smtp:// or smtps://); absent = mail is logged and dropped',
    protocols: ['smtp', 'smtps'],
    secret: true,
  }),
  MAIL_FROM: env.string({
    description: 'From address of account mail',
    default: 'Lanbridge <no-reply@lanbridge.local>',
  }),
  AREAS: env.optionalString({
    description:
      'regions connectors are activated into, each with the broker URL its connectors dial: "Name=URL,Name=URL" (id = the name in lower case) or JSON [{"id","name","brokerUrl"}]; default one region "default" at BROKER_PUBLIC_URL',
  }),
  BROKER_AREA: env.optionalString({ description: 'area id this broker serves; default the first of AREAS' }),
  TRUST_PROXY_HOPS: env.int({
    description: 'reverse proxies in front of the broker whose X-Forwarded-For is trusted for client IPs',
    default: 0,
    min: 0,
    max: 10,
  }),
  SESSION_IDLE_MINUTES: env.int({ description: 'portal session idle timeout', default: 120, min: 1 }),
  SESSION_ABSOLUTE_HOURS: env.int({ description: 'portal session absolute lifetime', default: 12, min: 1 }),
  SIGNIN_MAX_FAILURES_PER_ACCOUNT: env.int({
    description: 'failed sign-ins per account within SIGNIN_FAILURE_WINDOW_S before 429',
    default: 5,
    min: 1,
  }),
  SIGNIN_MAX_FAILURES_PER_IP: env.int({
    description: 'failed sign-ins per client IP within SIGNIN_FAILURE_WINDOW_S before 429',
    default: 30,
    min: 1,
  }),
  SIGNIN_FAILURE_WINDOW_S: env.int({ description: 'window (and lockout) of the sign-in limits', default: 900, min: 1 }),
  OAUTH_ACCESS_TOKEN_TTL_S: env.int({ description: 'access token lifetime', default: 900, min: 1 }),
  OAUTH_REFRESH_IDLE_HOURS: env.int({ description: 'refresh token lifetime per rotation', default: 24 * 14, min: 1 }),
  OAUTH_REFRESH_ABSOLUTE_HOURS: env.int({
    description: 'absolute lifetime of a refresh token family (no refresh past it)',
    default: 24 * 30,
    min: 1,
  }),
  OAUTH_CODE_TTL_S: env.int({ description: 'authorization code lifetime (<= 600)', default: 120, min: 1, max: 600 }),
  OAUTH_DEVICE_CODE_TTL_S: env.int({ description: 'device code lifetime', default: 600, min: 1, max: 1800 }),
  OAUTH_DEVICE_INTERVAL_S: env.int({ description: 'device flow minimum polling interval', default: 5, min: 1 }),
  OAUTH_CLIENTS: env.optionalString({
    description:
      'extra OAuth clients, JSON [{"clientId","clientSecret"?,"redirectUris":[],"grants":["authorization_code","refresh_token","device_code"]}]',
    secret: true,
  }),
  OAUTH_SIGNING_KEY_FILE: env.optionalString({
    description: 'Ed25519 private key (PKCS#8 PEM) for JWS/JWKS; absent = a key kept in the database',
  }),
  NODE_ENV: env.oneOf({
    description: 'deployment kind; production refuses test-only settings (PUSH_ENDPOINT_ALLOW_INSECURE)',
    default: 'development',
    values: ['development', 'test', 'production'],
  }),
  PUSH_VAPID_PUBLIC_KEY: env.optionalString({
    description:
      'VAPID public key (base64url P-256 point); absent = a key pair made on first boot, kept in the database',
  }),
  PUSH_VAPID_PRIVATE_KEY: env.optionalString({
    description: 'VAPID private key (base64url, 32 bytes); set together with PUSH_VAPID_PUBLIC_KEY',
    secret: true,
  }),
  PUSH_VAPID_SUBJECT: env.optionalString({
    description:
      'VAPID contact (mailto: or https: URL); default BROKER_PUBLIC_URL when https, else mailto:push@lanbridge.invalid',
  }),
  PUSH_TTL_S: env.int({
    description: 'how long a push service keeps an undelivered notification',
    default: 86_400,
    min: 0,
    max: 2_419_200,
  }),
  PUSH_RETRY_BASE_MS: env.int({
    description: 'first retry delay of a failed push delivery; doubles on each of the 5 attempts',
    default: 1000,
    min: 1,
  }),
  PUSH_QUEUE_PREFIX: env.string({
    description: 'Redis key prefix of the push queues lanbridge-push and lanbridge-push-dead',
    default: 'lanbridge',
  }),
  PUSH_ENDPOINT_HOSTS: env.optionalString({
    description:
      "push services the broker posts to (comma-separated: host, host:port, *.suffix, or * for any public https host); default the browsers' services (fcm.googleapis.com, updates.push.services.mozilla.com, *.notify.windows.com, web.push.apple.com, *.push.apple.com)",
  }),
  PUSH_ENDPOINT_ALLOW_INSECURE: env.bool({
    description:
      'tests only: allow http:// and non-public addresses for the hosts in PUSH_ENDPOINT_HOSTS (a local push service); refused with NODE_ENV=production',
    default: false,
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
  /**
   * Several broker nodes behind one address: where this node's peers reach it, and the secret
   * that proves a forwarded request. Set with BROKER_NODE_URL, BROKER_PEER_SECRET and REDIS_URL.
   */
  readonly cluster: { readonly redisUrl: string; readonly nodeUrl: string; readonly peerSecret: string } | undefined;
  readonly nodeId: string;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  readonly ingressTimeoutMs: number;
  /** Limits on the public sign-in endpoints of `site-session` organisations (docs/mobile-path.md §3). */
  readonly ingressSignIn: { readonly maxPerIp: number; readonly maxPerOrg: number; readonly windowS: number };
  /** Largest body of a request admitted without a token (the public routes of `site-session`). */
  readonly ingressPublicMaxBodyBytes: number;
  readonly drainTimeoutMs: number;
  /** Browser origins allowed cross-origin (`CORS_ORIGINS`); undefined = none. */
  readonly cors: CorsPolicy | undefined;
  readonly accounts: AccountsConfig;
  /** NODE_ENV=production: refuses what only tests need (PUSH_ENDPOINT_ALLOW_INSECURE). */
  readonly production: boolean;
  readonly push: PushConfig;
}

export interface PushConfig {
  /** From the environment; undefined = made on first boot and kept in the database. */
  readonly vapidKeys: VapidKeys | undefined;
  readonly vapidSubject: string;
  readonly ttlS: number;
  readonly retryBaseMs: number;
  readonly queuePrefix: string;
  /** Which push endpoints the broker posts to (push/push-endpoint.ts). */
  readonly endpoints: PushEndpointPolicy;
}

export interface AreaConfig {
  readonly id: string;
  readonly name: string;
  /** Where connectors of this area dial and clients reach them (no trailing slash). */
  readonly brokerUrl: string;
}

export type OAuthGrant = 'authorization_code' | 'refresh_token' | 'device_code';

export interface OAuthClientConfig {
  readonly clientId: string;
  /** Present for confidential clients (plain text from the environment; hashed in memory at boot). */
  readonly clientSecret?: string;
  readonly redirectUris: readonly string[];
  readonly grants: readonly OAuthGrant[];
}

export interface AccountsConfig {
  readonly smtpUrl: string | undefined;
  readonly mailFrom: string;
  readonly areas: readonly AreaConfig[];
  readonly brokerArea: string;
  readonly trustProxyHops: number;
  readonly sessionIdleMs: number;
  readonly sessionAbsoluteMs: number;
  readonly signinMaxFailuresPerAccount: number;
  readonly signinMaxFailuresPerIp: number;
  readonly signinFailureWindowS: number;
  readonly accessTokenTtlS: number;
  readonly refreshIdleS: number;
  readonly refreshAbsoluteS: number;
  readonly codeTtlS: number;
  readonly deviceCodeTtlS: number;
  readonly deviceIntervalS: number;
  readonly extraClients: readonly OAuthClientConfig[];
  readonly signingKeyFile: string | undefined;
}

/** Nest injection tokens of the typed config and the root logger (provided by AppModule). */
export const BROKER_CONFIG = Symbol('BROKER_CONFIG');
export const BROKER_LOGGER = Symbol('BROKER_LOGGER');

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const AREA_ID = /^[a-z0-9][a-z0-9-]{0,31}$/;
const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const GRANTS: readonly OAuthGrant[] = ['authorization_code', 'refresh_token', 'device_code'];

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJsonList(raw: string): Parsed<unknown[]> {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'must be JSON' };
  }
  return Array.isArray(v) ? { ok: true, value: v } : { ok: false, error: 'must be a JSON list' };
}

/** `Singapore=https://sg.example.com, Europe (Frankfurt)=https://eu.example.com` → JSON form. */
function namedAreaList(raw: string): Parsed<unknown[]> {
  const out: unknown[] = [];
  for (const item of raw.split(',')) {
    const eq = item.indexOf('=');
    const name = item.slice(0, eq).trim();
    if (eq < 0 || !name) return { ok: false, error: `"${item.trim()}" is not Name=URL` };
    const id = name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 32);
    out.push({ id, name, brokerUrl: item.slice(eq + 1).trim() });
  }
  return { ok: true, value: out };
}

function parseAreas(raw: string): Parsed<AreaConfig[]> {
  const list = raw.trim().startsWith('[') ? parseJsonList(raw) : namedAreaList(raw);
  if (!list.ok) return list;
  const out: AreaConfig[] = [];
  for (const a of list.value) {
    if (!isRecord(a) || typeof a.id !== 'string' || typeof a.name !== 'string' || typeof a.brokerUrl !== 'string') {
      return { ok: false, error: 'each area needs string id, name and brokerUrl' };
    }
    if (!AREA_ID.test(a.id)) return { ok: false, error: `area id "${a.id}" must be lower-case letters, digits, -` };
    if (!a.name.trim() || a.name.length > 100)
      return { ok: false, error: `area ${a.id}: name must be 1-100 characters` };
    if (!isBrokerUrl(a.brokerUrl)) return { ok: false, error: `area ${a.id}: brokerUrl must be an http(s) URL` };
    if (out.some((o) => o.id === a.id)) return { ok: false, error: `area id "${a.id}" is listed twice` };
    out.push({ id: a.id, name: a.name, brokerUrl: a.brokerUrl.replace(/\/+$/, '') });
  }
  return out.length > 0 ? { ok: true, value: out } : { ok: false, error: 'must list at least one area' };
}

function isBrokerUrl(raw: string): boolean {
  try {
    const u = new URL(raw);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.username && !u.search;
  } catch {
    return false;
  }
}

function parseClients(raw: string): Parsed<OAuthClientConfig[]> {
  const list = parseJsonList(raw);
  if (!list.ok) return list;
  const out: OAuthClientConfig[] = [];
  for (const c of list.value) {
    if (!isRecord(c) || typeof c.clientId !== 'string' || !CLIENT_ID.test(c.clientId)) {
      return { ok: false, error: 'each client needs a clientId of letters, digits, . _ -' };
    }
    const secret = c.clientSecret;
    if (secret !== undefined && (typeof secret !== 'string' || secret.length < 16)) {
      return { ok: false, error: `client ${c.clientId}: clientSecret must be a string of >= 16 characters` };
    }
    const uris = c.redirectUris ?? [];
    if (!Array.isArray(uris) || !uris.every((u): u is string => typeof u === 'string' && URL.canParse(u))) {
      return { ok: false, error: `client ${c.clientId}: redirectUris must be absolute URLs` };
    }
    const grants = c.grants ?? ['authorization_code', 'refresh_token'];
    if (!Array.isArray(grants) || !grants.every((g): g is OAuthGrant => GRANTS.includes(g as OAuthGrant))) {
      return { ok: false, error: `client ${c.clientId}: grants must be among ${GRANTS.join(', ')}` };
    }
    out.push({ clientId: c.clientId, clientSecret: secret, redirectUris: uris, grants });
  }
  return { ok: true, value: out };
}

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
  const publicUrl = c.BROKER_PUBLIC_URL.replace(/\/+$/, '');
  const problems: string[] = [];
  const areas =
    c.AREAS === undefined
      ? { ok: true as const, value: [{ id: 'default', name: 'Default', brokerUrl: publicUrl }] }
      : parseAreas(c.AREAS);
  if (!areas.ok) problems.push(`AREAS ${areas.error}`);
  const clients = c.OAUTH_CLIENTS === undefined ? { ok: true as const, value: [] } : parseClients(c.OAUTH_CLIENTS);
  if (!clients.ok) problems.push(`OAUTH_CLIENTS ${clients.error}`);
  const areaList = areas.ok ? areas.value : [];
  const brokerArea = c.BROKER_AREA ?? areaList[0]?.id ?? 'default';
  if (areas.ok && !areaList.some((a) => a.id === brokerArea))
    problems.push(`BROKER_AREA "${brokerArea}" is not in AREAS`);
  const vapidKeys =
    c.PUSH_VAPID_PUBLIC_KEY !== undefined || c.PUSH_VAPID_PRIVATE_KEY !== undefined
      ? { publicKey: c.PUSH_VAPID_PUBLIC_KEY ?? '', privateKey: c.PUSH_VAPID_PRIVATE_KEY ?? '' }
      : undefined;
  const vapidProblem = vapidKeys && vapidKeyProblem(vapidKeys);
  if (vapidProblem) problems.push(vapidProblem);
  const vapidSubject =
    c.PUSH_VAPID_SUBJECT ?? (publicUrl.startsWith('https://') ? publicUrl : 'mailto:push@lanbridge.invalid');
  const subjectProblem = vapidSubjectProblem(vapidSubject);
  if (subjectProblem) problems.push(subjectProblem);
  const pushHosts =
    c.PUSH_ENDPOINT_HOSTS === undefined
      ? { hosts: [...DEFAULT_PUSH_ENDPOINT_HOSTS] }
      : parsePushEndpointHosts(c.PUSH_ENDPOINT_HOSTS);
  if ('error' in pushHosts) problems.push(`PUSH_ENDPOINT_HOSTS ${pushHosts.error}`);
  if (c.PUSH_ENDPOINT_ALLOW_INSECURE && c.NODE_ENV === 'production') {
    problems.push('PUSH_ENDPOINT_ALLOW_INSECURE is for tests and is refused with NODE_ENV=production');
  }
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(c.PUSH_QUEUE_PREFIX)) {
    problems.push('PUSH_QUEUE_PREFIX must be 1-64 letters, digits, _ . -');
  }
  const cors = parseCorsOrigins(c.CORS_ORIGINS);
  if ('error' in cors) problems.push(`CORS_ORIGINS ${cors.error}`);
  if ((c.BROKER_NODE_URL === undefined) !== (c.BROKER_PEER_SECRET === undefined)) {
    problems.push('BROKER_NODE_URL and BROKER_PEER_SECRET are set together (or neither)');
  } else if (c.BROKER_NODE_URL !== undefined && c.REDIS_URL === undefined) {
    problems.push('BROKER_NODE_URL needs REDIS_URL (the tunnel directory lives in Redis)');
  }
  if (c.BROKER_PEER_SECRET !== undefined && c.BROKER_PEER_SECRET.length < 32) {
    problems.push('BROKER_PEER_SECRET must be at least 32 characters');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return {
    host: c.BROKER_HOST,
    port: c.BROKER_PORT,
    publicUrl,
    publicProto: new URL(c.BROKER_PUBLIC_URL).protocol === 'https:' ? 'https' : 'http',
    database: c.DATABASE_URL
      ? { kind: 'postgres', url: c.DATABASE_URL, schema }
      : { kind: 'pglite', dataDir: c.BROKER_DATA_DIR, schema },
    redisUrl: c.REDIS_URL,
    cluster:
      c.BROKER_NODE_URL !== undefined && c.BROKER_PEER_SECRET !== undefined && c.REDIS_URL !== undefined
        ? { redisUrl: c.REDIS_URL, nodeUrl: c.BROKER_NODE_URL.replace(/\/+$/, ''), peerSecret: c.BROKER_PEER_SECRET }
        : undefined,
    nodeId: c.NODE_ID ?? `${hostname()}-${process.pid}`,
    logLevel: c.LOG_LEVEL,
    ingressTimeoutMs: c.INGRESS_TIMEOUT_MS,
    ingressSignIn: {
      maxPerIp: c.INGRESS_SIGNIN_MAX_PER_IP,
      maxPerOrg: c.INGRESS_SIGNIN_MAX_PER_ORG,
      windowS: c.INGRESS_SIGNIN_WINDOW_S,
    },
    ingressPublicMaxBodyBytes: c.INGRESS_PUBLIC_MAX_BODY_BYTES,
    drainTimeoutMs: c.DRAIN_TIMEOUT_MS,
    cors: 'policy' in cors ? cors.policy : undefined,
    accounts: {
      smtpUrl: c.SMTP_URL,
      mailFrom: c.MAIL_FROM,
      areas: areaList,
      brokerArea,
      trustProxyHops: c.TRUST_PROXY_HOPS,
      sessionIdleMs: c.SESSION_IDLE_MINUTES * 60_000,
      sessionAbsoluteMs: c.SESSION_ABSOLUTE_HOURS * 3_600_000,
      signinMaxFailuresPerAccount: c.SIGNIN_MAX_FAILURES_PER_ACCOUNT,
      signinMaxFailuresPerIp: c.SIGNIN_MAX_FAILURES_PER_IP,
      signinFailureWindowS: c.SIGNIN_FAILURE_WINDOW_S,
      accessTokenTtlS: c.OAUTH_ACCESS_TOKEN_TTL_S,
      refreshIdleS: c.OAUTH_REFRESH_IDLE_HOURS * 3600,
      refreshAbsoluteS: c.OAUTH_REFRESH_ABSOLUTE_HOURS * 3600,
      codeTtlS: c.OAUTH_CODE_TTL_S,
      deviceCodeTtlS: c.OAUTH_DEVICE_CODE_TTL_S,
      deviceIntervalS: c.OAUTH_DEVICE_INTERVAL_S,
      extraClients: clients.ok ? clients.value : [],
      signingKeyFile: c.OAUTH_SIGNING_KEY_FILE,
    },
    production: c.NODE_ENV === 'production',
    push: {
      vapidKeys,
      vapidSubject,
      ttlS: c.PUSH_TTL_S,
      retryBaseMs: c.PUSH_RETRY_BASE_MS,
      queuePrefix: c.PUSH_QUEUE_PREFIX,
      endpoints: {
        hosts: 'hosts' in pushHosts ? pushHosts.hosts : [],
        allowInsecure: c.PUSH_ENDPOINT_ALLOW_INSECURE,
      },
    },
  };
}
