/**
 * A whole site behind the cloud, as real processes from dist/: access-core (demo seed, on a
 * PostgreSQL schema of its own), a cloud broker (another schema), and an edge connector
 * registered to one organisation, forwarding to access-core; the connector's local uplink is
 * wired into access-core (CLOUD_UPLINK_URL). Used by the mobile-path end-to-end suites and by
 * `npm run bench:events`. Terminals are added by the caller (the simulator is a library).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createScratchSchema, TEST_DATABASE_URL } from './pg-schema';
import { freePort, tempDir } from './ports';
import { APP_MAIN, httpGetJson, runJsonCli, spawnApp, waitFor, type SpawnedApp } from './processes';

export interface DemoSiteSummary {
  readonly devices: { sn: string; alias: string; area: string; doors: number }[];
  readonly people: { pin: string; name: string; card: string | null; appLogin: boolean }[];
  readonly personPassword: string | null;
  readonly lockdownGroup: { name: string; doors: number };
}

export interface SiteStackOptions {
  /** Prefix of the PostgreSQL schemas made for this stack. */
  readonly prefix: string;
  readonly databaseUrl?: string;
  readonly accessCoreEnv?: Record<string, string>;
  readonly brokerEnv?: Record<string, string>;
  readonly connectorEnv?: Record<string, string>;
  /** Print the apps' logs (default: only when E2E_VERBOSE=1). */
  readonly verbose?: boolean;
}

export interface SiteStack {
  readonly brokerUrl: string;
  readonly orgSlug: string;
  /** `<broker>/t/<org>`: the site's API through the cloud. */
  readonly apiUrl: string;
  readonly accessCoreUrl: string;
  readonly connectorStatusUrl: string;
  readonly adminPassword: string;
  readonly personPassword: string;
  readonly demo: DemoSiteSummary;
  readonly brokerEnv: Record<string, string>;
  readonly accessCoreEnv: Record<string, string>;
  readonly apps: { accessCore: SpawnedApp; broker: SpawnedApp; connector: SpawnedApp };
  /** Stops the connector (SIGKILL by default: a cut tunnel, not a goodbye). */
  stopConnector(signal?: NodeJS.Signals): Promise<void>;
  startConnector(): Promise<void>;
  waitConnectorOnline(timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export const SITE_ADMIN_PASSWORD = 'correct horse battery staple';
const PERSON_PASSWORD = 'personnel-pass-1';

export async function startSiteStack(opts: SiteStackOptions): Promise<SiteStack> {
  const quiet = !(opts.verbose ?? process.env.E2E_VERBOSE === '1');
  const databaseUrl = opts.databaseUrl ?? TEST_DATABASE_URL;
  const tmp = tempDir(opts.prefix);
  const siteSchema = await createScratchSchema(databaseUrl, `${opts.prefix}_site`);
  const brokerSchema = await createScratchSchema(databaseUrl, `${opts.prefix}_broker`);
  const [accessCorePort, brokerPort, statusPort] = [await freePort(), await freePort(), await freePort()];
  const connectorStatusBase = `http://127.0.0.1:${statusPort}`;

  const accessCoreEnv: Record<string, string> = {
    NODE_ENV: 'test',
    ACCESS_CORE_HOST: '127.0.0.1',
    ACCESS_CORE_PORT: String(accessCorePort),
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: siteSchema.name,
    SITE_NAME: 'Cloud path test site',
    ACCESS_CORE_ADMIN_PASSWORD: SITE_ADMIN_PASSWORD,
    PUSH_REQUEST_DELAY_SEC: '1',
    AUTH_LOGIN_MAX_PER_IP: '1000',
    CLOUD_UPLINK_URL: `${connectorStatusBase}/uplink`,
    LOG_LEVEL: 'warn',
    ...opts.accessCoreEnv,
  };
  const demo = runJsonCli<{ summary: DemoSiteSummary } | DemoSiteSummary>(
    APP_MAIN.accessCoreCli,
    ['seed-demo', '--person-password', PERSON_PASSWORD],
    accessCoreEnv,
  );
  const summary = 'summary' in demo ? demo.summary : demo;

  const brokerEnv: Record<string, string> = {
    NODE_ENV: 'test',
    BROKER_HOST: '127.0.0.1',
    BROKER_PORT: String(brokerPort),
    BROKER_PUBLIC_URL: `http://127.0.0.1:${brokerPort}`,
    DATABASE_URL: databaseUrl,
    DATABASE_SCHEMA: brokerSchema.name,
    LOG_LEVEL: 'warn',
    DRAIN_TIMEOUT_MS: '3000',
    ...opts.brokerEnv,
  };
  const orgSlug = `site-${crypto.randomBytes(3).toString('hex')}`;
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  const keyFile = path.join(tmp, 'connector.key');
  fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
  const pubFile = path.join(tmp, 'connector.pub');
  fs.writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const reg = runJsonCli<{ connectorId: string }>(
    APP_MAIN.brokerCli,
    ['register-connector', '--org', orgSlug, '--public-key', pubFile],
    brokerEnv,
  );
  const connectorEnv: Record<string, string> = {
    BROKER_URL: `ws://127.0.0.1:${brokerPort}/tunnel/v1/connect`,
    CONNECTOR_ID: reg.connectorId,
    CONNECTOR_KEY_FILE: keyFile,
    LOCAL_APP_URL: `http://127.0.0.1:${accessCorePort}`,
    STATUS_HOST: '127.0.0.1',
    STATUS_PORT: String(statusPort),
    LOG_LEVEL: 'warn',
    BACKOFF_BASE_MS: '200',
    BACKOFF_MAX_MS: '1000',
    ...opts.connectorEnv,
  };

  const accessCoreUrl = `http://127.0.0.1:${accessCorePort}`;
  const brokerUrl = `http://127.0.0.1:${brokerPort}`;
  const accessCore = spawnApp('access-core', APP_MAIN.accessCore, [], accessCoreEnv, { quiet });
  const broker = spawnApp('cloud-broker', APP_MAIN.broker, [], brokerEnv, { quiet });
  await waitFor(
    'access-core /healthz',
    async () => (await httpGetJson(`${accessCoreUrl}/healthz`)).status === 200,
    60000,
  );
  await waitFor('broker /healthz', async () => (await httpGetJson(`${brokerUrl}/healthz`)).status === 200, 60000);

  const apps = { accessCore, broker, connector: undefined as unknown as SpawnedApp };
  const statusUrl = `${connectorStatusBase}/status`;
  const stack: SiteStack = {
    brokerUrl,
    orgSlug,
    apiUrl: `${brokerUrl}/t/${orgSlug}`,
    accessCoreUrl,
    connectorStatusUrl: statusUrl,
    adminPassword: SITE_ADMIN_PASSWORD,
    personPassword: summary.personPassword ?? PERSON_PASSWORD,
    demo: summary,
    brokerEnv,
    accessCoreEnv,
    apps,
    async stopConnector(signal: NodeJS.Signals = 'SIGKILL') {
      await apps.connector?.stop(signal, 10000);
    },
    async startConnector() {
      apps.connector = spawnApp('edge-connector', APP_MAIN.connector, ['run'], connectorEnv, { quiet });
      await waitFor('connector status endpoint', async () => (await httpGetJson(statusUrl)).status === 200, 30000);
    },
    async waitConnectorOnline(timeoutMs = 30000) {
      await waitFor(
        'connector online',
        async () => ((await httpGetJson(statusUrl)).body as { online?: boolean } | undefined)?.online === true,
        timeoutMs,
      );
    },
    async stop() {
      await apps.connector?.stop('SIGTERM', 10000);
      await broker.stop('SIGTERM', 15000);
      await accessCore.stop('SIGTERM', 15000);
      await siteSchema.drop();
      await brokerSchema.drop();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  await stack.startConnector();
  await stack.waitConnectorOnline();
  return stack;
}
