/**
 * Real parts for the uplink and push suites: a local Web Push service that holds each
 * subscription's private key and auth secret and decrypts what the broker sends (aes128gcm,
 * RFC 8291) with http_ece; and a site key registered on an organisation the way SiteTrustService
 * records it, with access tokens signed by it.
 */
import { createECDH, generateKeyPairSync, type KeyObject, randomBytes, randomUUID, sign } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  APP_MAIN,
  createTestSchema,
  freePort,
  httpGetJson,
  runJsonCli,
  spawnApp,
  type SpawnedApp,
  TEST_DATABASE_URL,
  tempDir,
  waitFor,
} from '@lanbridge/testing';
import { okpThumbprint } from '@lanbridge/security-contract/node';
import { Redis } from 'ioredis';
import { Client } from 'pg';

// http_ece ships no types; this is the one function the suites use.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const ece = require('http_ece') as {
  decrypt(body: Buffer, params: { version: 'aes128gcm'; privateKey: unknown; authSecret: string }): Buffer;
};

export interface ReceivedPush {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
  /** The decrypted plaintext, parsed (undefined when the push service answered an error). */
  readonly message: unknown;
}

/** A browser's push subscription: what it sends to the broker, and the secrets it keeps. */
export interface TestSubscription {
  readonly endpoint: string;
  readonly keys: { readonly p256dh: string; readonly auth: string };
  /** Decrypted messages delivered to this subscription (status 2xx answered). */
  readonly received: ReceivedPush[];
  /** Every POST, including those answered with an error. */
  readonly attempts: ReceivedPush[];
  /** Statuses to answer next, in order; 201 once empty. */
  readonly script: number[];
}

export class LocalPushService {
  private server!: http.Server;
  private readonly subs = new Map<string, { sub: TestSubscription; ecdh: ReturnType<typeof createECDH> }>();
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const path = req.url ?? '';
        const entry = this.subs.get(path);
        if (!entry) {
          res.writeHead(404).end();
          return;
        }
        const status = entry.sub.script.shift() ?? 201;
        const body = Buffer.concat(chunks);
        let message: unknown;
        if (status < 300) {
          const plain = ece.decrypt(body, {
            version: 'aes128gcm',
            privateKey: entry.ecdh,
            authSecret: entry.sub.keys.auth,
          });
          message = JSON.parse(plain.toString('utf8'));
        }
        const push: ReceivedPush = { path, headers: req.headers, body, at: Date.now(), message };
        entry.sub.attempts.push(push);
        if (status < 300) entry.sub.received.push(push);
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status < 300 ? '' : 'nope');
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** A new browser subscription (its own P-256 key and 16-byte auth secret). */
  subscription(): TestSubscription {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    const path = `/push/${randomUUID()}`;
    const sub: TestSubscription = {
      endpoint: `${this.url}${path}`,
      keys: { p256dh: ecdh.getPublicKey().toString('base64url'), auth: randomBytes(16).toString('base64url') },
      received: [],
      attempts: [],
      script: [],
    };
    this.subs.set(path, { sub, ecdh });
    return sub;
  }

  /** Makes the service answer 410 Gone for this subscription from now on. */
  expire(sub: TestSubscription): void {
    sub.script.splice(0, sub.script.length, ...Array<number>(100).fill(410));
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** An on-prem site's signing key, recorded on its organisation as SiteTrustService records it. */
export class TestSite {
  readonly siteId = `site-${randomBytes(6).toString('hex')}`;
  private readonly privateKey: KeyObject;
  readonly jwk: { kty: 'OKP'; crv: 'Ed25519'; x: string };
  readonly thumbprint: string;

  constructor() {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    this.privateKey = privateKey;
    const x = (publicKey.export({ format: 'jwk' }) as { x: string }).x;
    this.jwk = { kty: 'OKP', crv: 'Ed25519', x };
    this.thumbprint = okpThumbprint(this.jwk);
  }

  /** Writes site id, key and thumbprint on the organisation row (what a verified hello does). */
  async register(databaseUrl: string, schema: string, orgId: string): Promise<void> {
    const pg = new Client({ connectionString: databaseUrl });
    await pg.connect();
    try {
      await pg.query(
        `UPDATE "${schema}"."organization"
            SET "site_id" = $2, "site_key_jwk" = $3::jsonb, "site_key_thumbprint" = $4, "site_key_seen_at" = now()
          WHERE "id" = $1`,
        [orgId, this.siteId, JSON.stringify(this.jwk), this.thumbprint],
      );
    } finally {
      await pg.end();
    }
  }

  /** A site access token (EdDSA, typ at+jwt, aud lanbridge-mobile) for `role:sub`. */
  accessToken(role: 'admin' | 'personnel', sub: string, ttlS = 900): string {
    const now = Math.floor(Date.now() / 1000);
    const header = { alg: 'EdDSA', typ: 'at+jwt', kid: this.thumbprint };
    const payload = {
      iss: this.siteId,
      aud: 'lanbridge-mobile',
      sub,
      role,
      name: `${role} ${sub}`,
      sid: randomUUID(),
      iat: now,
      exp: now + ttlS,
      jti: randomUUID(),
    };
    const input = `${b64(header)}.${b64(payload)}`;
    return `${input}.${sign(null, Buffer.from(input), this.privateKey).toString('base64url')}`;
  }
}

function b64(o: object): string {
  return Buffer.from(JSON.stringify(o)).toString('base64url');
}

export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Deletes the keys a test's BullMQ queues left under `prefix`. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** A notification item as access-core's outbox sends it. */
export function notificationItem(
  id: string | number,
  recipients: string[],
  title = `Alarm ${id}`,
): { id: string | number; recipients: string[]; notification: Record<string, unknown> } {
  return {
    id,
    recipients,
    notification: {
      type: 'alarm',
      title,
      body: `Door forced open at gate ${id}`,
      data: { doorId: 3, eventId: String(id) },
      createdAt: new Date().toISOString(),
    },
  };
}

// ---- a spawned stack: one broker, connectors of several organisations (real processes from dist/) ----

export interface SpawnedSite {
  readonly orgId: string;
  readonly orgSlug: string;
  readonly connectorId: string;
  /** `http://127.0.0.1:<status port>`: the connector's local status server. */
  readonly connectorUrl: string;
  readonly app: SpawnedApp;
  readonly site: TestSite;
}

export interface SpawnedStack {
  readonly brokerUrl: string;
  readonly schema: string;
  readonly brokerEnv: Record<string, string>;
  readonly broker: SpawnedApp;
  addSite(orgSlug: string): Promise<SpawnedSite>;
  stop(): Promise<void>;
}

const quiet = process.env.E2E_VERBOSE !== '1';

/** The connector's local application: answers 404 to everything (the broker's hello included). */
async function startDeadEndOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"code":"NOT_FOUND"}');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export async function startSpawnedStack(brokerEnv: Record<string, string>): Promise<SpawnedStack> {
  const schema = await createTestSchema('uplink_e2e');
  const tmp = tempDir('uplink-e2e');
  const port = await freePort();
  const brokerUrl = `http://127.0.0.1:${port}`;
  const env: Record<string, string> = {
    BROKER_HOST: '127.0.0.1',
    BROKER_PORT: String(port),
    BROKER_PUBLIC_URL: brokerUrl,
    DATABASE_URL: TEST_DATABASE_URL,
    DATABASE_SCHEMA: schema.name,
    LOG_LEVEL: 'warn',
    DRAIN_TIMEOUT_MS: '2000',
    ...brokerEnv,
  };
  const broker = spawnApp('cloud-broker', APP_MAIN.broker, [], env, { quiet });
  await waitFor('broker /healthz', async () => (await httpGetJson(`${brokerUrl}/healthz`)).status === 200, 30_000);
  const origin = await startDeadEndOrigin();
  const sites: SpawnedSite[] = [];
  return {
    brokerUrl,
    schema: schema.name,
    brokerEnv: env,
    broker,
    async addSite(orgSlug) {
      const { publicKey, privateKey } = generateKeyPairSync('ed25519');
      const keyFile = path.join(tmp, `${orgSlug}.key`);
      fs.writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600 });
      const pubFile = path.join(tmp, `${orgSlug}.pub`);
      fs.writeFileSync(pubFile, publicKey.export({ type: 'spki', format: 'pem' }).toString());
      const reg = runJsonCli<{ connectorId: string; orgId: string; orgSlug: string }>(
        APP_MAIN.brokerCli,
        ['register-connector', '--org', orgSlug, '--public-key', pubFile],
        env,
      );
      const statusPort = await freePort();
      const connectorUrl = `http://127.0.0.1:${statusPort}`;
      const app = spawnApp(
        `connector-${orgSlug}`.slice(0, 15),
        APP_MAIN.connector,
        ['run'],
        {
          BROKER_URL: `ws://127.0.0.1:${port}/tunnel/v1/connect`,
          CONNECTOR_ID: reg.connectorId,
          CONNECTOR_KEY_FILE: keyFile,
          LOCAL_APP_URL: origin.url,
          STATUS_HOST: '127.0.0.1',
          STATUS_PORT: String(statusPort),
          LOG_LEVEL: 'warn',
          BACKOFF_BASE_MS: '200',
          BACKOFF_MAX_MS: '1000',
        },
        { quiet },
      );
      await waitFor(
        `connector ${orgSlug} online`,
        async () =>
          ((await httpGetJson(`${connectorUrl}/status`)).body as { online?: boolean } | undefined)?.online === true,
        30_000,
      );
      const site = new TestSite();
      await site.register(TEST_DATABASE_URL, schema.name, reg.orgId);
      const s: SpawnedSite = { orgId: reg.orgId, orgSlug, connectorId: reg.connectorId, connectorUrl, app, site };
      sites.push(s);
      return s;
    },
    async stop() {
      await Promise.all(sites.map((s) => s.app.stop('SIGTERM', 10_000)));
      await broker.stop('SIGTERM', 15_000);
      await origin.close();
      await schema.drop();
    },
  };
}
