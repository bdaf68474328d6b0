/**
 * Starts the real apps from dist/ as child processes (so a test can kill them like an
 * operator or a crash would), against the real PostgreSQL in a schema of the suite's own.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  APP_MAIN,
  TEST_DATABASE_URL,
  createTestSchema,
  freePort,
  httpGetJson,
  runJsonCli,
  spawnApp,
  waitFor,
  type SpawnedApp,
} from '@lanbridge/testing';

export interface TestBroker {
  readonly port: number;
  readonly url: string;
  readonly tunnelUrl: string;
  readonly env: Record<string, string>;
  app: SpawnedApp;
  start(): Promise<void>;
  /** Registers a connector; the organisation is a generic HTTP tunnel (`--ingress open`) unless told otherwise. */
  registerConnector(
    orgSlug: string,
    publicKeyPem: string,
    ingress?: 'open' | 'site-session',
  ): { connectorId: string; orgId: string; orgSlug: string };
  stop(): Promise<void>;
}

const quiet = process.env.E2E_VERBOSE !== '1';

export async function startTestBroker(
  tmp: string,
  extraEnv: Record<string, string> = {},
): Promise<TestBroker & { dropSchema(): Promise<void> }> {
  const schema = await createTestSchema('e2e_broker');
  const port = await freePort();
  const env: Record<string, string> = {
    BROKER_HOST: '127.0.0.1',
    BROKER_PORT: String(port),
    BROKER_PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema.name,
    LOG_LEVEL: 'warn',
    DRAIN_TIMEOUT_MS: '5000',
    ...extraEnv,
  };
  const broker: TestBroker & { dropSchema(): Promise<void> } = {
    port,
    url: `http://127.0.0.1:${port}`,
    tunnelUrl: `ws://127.0.0.1:${port}/tunnel/v1/connect`,
    env,
    app: undefined as unknown as SpawnedApp,
    async start() {
      this.app = spawnApp('cloud-broker', APP_MAIN.broker, [], env, { quiet });
      await waitFor('broker /healthz', async () => (await httpGetJson(`${this.url}/healthz`)).status === 200, 30000);
    },
    registerConnector(orgSlug: string, publicKeyPem: string, ingress: 'open' | 'site-session' = 'open') {
      const file = path.join(tmp, `pub-${crypto.randomBytes(4).toString('hex')}.pem`);
      fs.writeFileSync(file, publicKeyPem);
      return runJsonCli(
        APP_MAIN.brokerCli,
        ['register-connector', '--org', orgSlug, '--public-key', file, '--ingress', ingress],
        env,
      );
    },
    async stop() {
      await this.app?.stop('SIGTERM', 15000);
    },
    dropSchema: () => schema.drop(),
  };
  await broker.start();
  return broker;
}

export interface TestConnector {
  readonly statusUrl: string;
  readonly connectorId: string;
  readonly keyFile: string;
  app: SpawnedApp;
  start(): Promise<void>;
  stop(signal?: NodeJS.Signals): Promise<void>;
  status(): Promise<{ online: boolean; state: string; lastError: { code: string } | null; reconnects: number }>;
  waitOnline(timeoutMs?: number): Promise<void>;
}

export function makeKeyPair(): { publicKeyPem: string; privateKeyPem: string; privateKey: crypto.KeyObject } {
  const { publicKey, privateKey } = crypto.generateKeyPairSync('ed25519');
  return {
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    privateKey,
  };
}

export async function startTestConnector(
  tmp: string,
  broker: TestBroker,
  orgSlug: string,
  localAppUrl: string,
  extraEnv: Record<string, string> = {},
): Promise<TestConnector> {
  const keys = makeKeyPair();
  const keyFile = path.join(tmp, `connector-${crypto.randomBytes(4).toString('hex')}.key`);
  fs.writeFileSync(keyFile, keys.privateKeyPem, { mode: 0o600 });
  const { connectorId } = broker.registerConnector(orgSlug, keys.publicKeyPem);
  const statusPort = await freePort();
  const env = {
    BROKER_URL: broker.tunnelUrl,
    CONNECTOR_ID: connectorId,
    CONNECTOR_KEY_FILE: keyFile,
    LOCAL_APP_URL: localAppUrl,
    STATUS_HOST: '127.0.0.1',
    STATUS_PORT: String(statusPort),
    LOG_LEVEL: 'warn',
    BACKOFF_BASE_MS: '200',
    BACKOFF_MAX_MS: '2000',
    ...extraEnv,
  };
  const c: TestConnector = {
    statusUrl: `http://127.0.0.1:${statusPort}/status`,
    connectorId,
    keyFile,
    app: undefined as unknown as SpawnedApp,
    async start() {
      this.app = spawnApp('edge-connector', APP_MAIN.connector, ['run'], env, { quiet });
      await waitFor('connector status endpoint', async () => (await httpGetJson(this.statusUrl)).status === 200, 30000);
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      await this.app?.stop(signal, 10000);
    },
    async status() {
      return (await httpGetJson(this.statusUrl)).body as Awaited<ReturnType<TestConnector['status']>>;
    },
    async waitOnline(timeoutMs = 20000) {
      await waitFor('connector online', async () => (await this.status()).online === true, timeoutMs);
    },
  };
  await c.start();
  return c;
}
