/**
 * The site behind the cloud for `npm run bench:faults`, as real processes from dist/ that the
 * benchmark can kill and restart one by one: access-core (demo seed, on a schema of the given
 * PostgreSQL server), a cloud broker on a PostgreSQL cluster and a Redis server of its own
 * (throwaway instances this module starts on free ports in a temporary directory, so their
 * outage touches nothing else on the machine), and an edge connector. Like `startSiteStack`,
 * but every part has the same address and state across restarts.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import {
  APP_MAIN,
  createScratchSchema,
  freePort,
  httpGetJson,
  runJsonCli,
  spawnApp,
  tempDir,
  waitFor,
  type DemoSiteSummary,
  type ScratchSchema,
  type SpawnedApp,
} from '@lanbridge/testing';

const run = promisify(execFile);

/** A part the benchmark stops: a process of the site or the cloud, or one of the broker's stores. */
export type StackPart = 'connector' | 'broker' | 'access-core' | 'broker-postgresql' | 'broker-redis';

export const SITE_ADMIN_PASSWORD = 'correct horse battery staple';
const PERSON_PASSWORD = 'personnel-pass-1';

/** The PostgreSQL server binaries: $PG_BIN, else the newest /usr/lib/postgresql/<n>/bin. */
function postgresBin(): string {
  const fromEnv = process.env.PG_BIN;
  if (fromEnv) return fromEnv;
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base)
    ? fs
        .readdirSync(base)
        .filter((v) => fs.existsSync(path.join(base, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0)
    throw new Error('bench:faults needs the PostgreSQL server binaries (apt-get install postgresql, or set PG_BIN)');
  return path.join(base, versions[0], 'bin');
}

/** A throwaway PostgreSQL cluster on 127.0.0.1:<free port>, run as `postgres` when we are root. */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    private readonly dir: string,
    private readonly bin: string,
    private readonly asPostgres: boolean,
  ) {}

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  static async create(): Promise<PrivatePostgres> {
    const bin = postgresBin();
    const dir = tempDir('faults-pg');
    const asPostgres = process.getuid?.() === 0;
    if (asPostgres) {
      // PostgreSQL refuses to run as root; the cluster belongs to the `postgres` user.
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout.trim());
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout.trim());
      fs.chownSync(dir, uid, gid);
    }
    const pg = new PrivatePostgres(await freePort(), dir, bin, asPostgres);
    await pg.exec('initdb', ['-D', pg.data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await pg.start();
    return pg;
  }

  private get data(): string {
    return path.join(this.dir, 'data');
  }

  private async exec(tool: string, args: string[]): Promise<void> {
    const cmd = path.join(this.bin, tool);
    const [file, argv] = this.asPostgres ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    try {
      await run(file, argv, { timeout: 120_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${tool} failed: ${e.stderr || e.stdout || e.message}`);
    }
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    const opts = `-p ${this.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off`;
    await this.exec('pg_ctl', [
      '-D',
      this.data,
      '-l',
      path.join(this.dir, 'server.log'),
      '-w',
      '-t',
      '60',
      '-o',
      opts,
      'start',
    ]);
  }

  /** An outage: the server stops at once (immediate mode, as a crash), connections drop. */
  async stop(): Promise<void> {
    await this.exec('pg_ctl', ['-D', this.data, '-m', 'immediate', '-w', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function redisPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let reply = '';
    s.setTimeout(1000);
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => {
      reply += d.toString('latin1');
      if (reply.includes('\r\n')) {
        s.destroy();
        resolve(reply.startsWith('+PONG'));
      }
    });
    s.once('error', () => resolve(false));
    s.once('timeout', () => {
      s.destroy();
      resolve(false);
    });
  });
}

/** A throwaway Redis server on 127.0.0.1:<free port>, without persistence. */
export class PrivateRedis {
  private child: ChildProcess | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async create(): Promise<PrivateRedis> {
    const r = new PrivateRedis(await freePort());
    await r.start();
    return r;
  }

  async start(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    this.child = child;
    const failed = new Promise<never>((_, reject) =>
      child.once('error', (err) => reject(new Error(`redis-server: ${err.message} (apt-get install redis-server)`))),
    );
    await Promise.race([waitFor('private Redis', () => redisPing(this.port), 30_000), failed]);
  }

  /** An outage: the server is killed (SIGKILL); with no persistence its data is gone too. */
  async stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  destroy(): Promise<void> {
    return this.stop();
  }
}

export interface FaultStackOptions {
  /** PostgreSQL server for access-core's schema (the shared one; never stopped). */
  readonly databaseUrl: string;
  readonly accessCoreEnv?: Record<string, string>;
  readonly brokerEnv?: Record<string, string>;
  readonly connectorEnv?: Record<string, string>;
  readonly verbose?: boolean;
  /** A part exited without being told to (it is restarted, as a supervisor would). */
  readonly onCrash?: (part: StackPart, code: number | null) => void;
}

type AppPart = 'connector' | 'broker' | 'access-core';

export class FaultStack {
  readonly apps = new Map<AppPart, SpawnedApp>();
  private readonly killing = new Set<AppPart>();
  private stopping = false;

  private constructor(
    private readonly opts: FaultStackOptions,
    private readonly tmp: string,
    readonly postgres: PrivatePostgres,
    readonly redis: PrivateRedis,
    private readonly siteSchema: ScratchSchema,
    readonly accessCoreUrl: string,
    readonly brokerUrl: string,
    readonly orgSlug: string,
    readonly connectorBase: string,
    readonly demo: DemoSiteSummary,
    private readonly env: Record<AppPart, Record<string, string>>,
  ) {}

  get apiUrl(): string {
    return `${this.brokerUrl}/t/${this.orgSlug}`;
  }

  get siteSchemaName(): string {
    return this.siteSchema.name;
  }

  static async start(opts: FaultStackOptions): Promise<FaultStack> {
    const tmp = tempDir('faults');
    const postgres = await PrivatePostgres.create();
    const redis = await PrivateRedis.create();
    const siteSchema = await createScratchSchema(opts.databaseUrl, 'bench_faults_site');
    const [accessCorePort, brokerPort, statusPort] = [await freePort(), await freePort(), await freePort()];
    const connectorBase = `http://127.0.0.1:${statusPort}`;
    const accessCoreEnv: Record<string, string> = {
      NODE_ENV: 'test',
      ACCESS_CORE_HOST: '127.0.0.1',
      ACCESS_CORE_PORT: String(accessCorePort),
      DATABASE_URL: opts.databaseUrl,
      DATABASE_SCHEMA: siteSchema.name,
      SITE_NAME: 'Fault matrix site',
      ACCESS_CORE_ADMIN_PASSWORD: SITE_ADMIN_PASSWORD,
      AUTH_LOGIN_MAX_PER_IP: '1000',
      CLOUD_UPLINK_URL: `${connectorBase}/uplink`,
      LOG_LEVEL: 'error',
      ...opts.accessCoreEnv,
    };
    const seeded = runJsonCli<{ summary: DemoSiteSummary } | DemoSiteSummary>(
      APP_MAIN.accessCoreCli,
      ['seed-demo', '--person-password', PERSON_PASSWORD],
      accessCoreEnv,
    );
    const demo = 'summary' in seeded ? seeded.summary : seeded;
    const brokerEnv: Record<string, string> = {
      NODE_ENV: 'test',
      BROKER_HOST: '127.0.0.1',
      BROKER_PORT: String(brokerPort),
      BROKER_PUBLIC_URL: `http://127.0.0.1:${brokerPort}`,
      DATABASE_URL: postgres.url,
      REDIS_URL: redis.url,
      LOG_LEVEL: 'error',
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
      LOG_LEVEL: 'error',
      ...opts.connectorEnv,
    };
    const stack = new FaultStack(
      opts,
      tmp,
      postgres,
      redis,
      siteSchema,
      `http://127.0.0.1:${accessCorePort}`,
      `http://127.0.0.1:${brokerPort}`,
      orgSlug,
      connectorBase,
      demo,
      { 'access-core': accessCoreEnv, broker: brokerEnv, connector: connectorEnv },
    );
    stack.spawn('access-core');
    stack.spawn('broker');
    await stack.waitReady('access-core', 90_000);
    await stack.waitReady('broker', 90_000);
    stack.spawn('connector');
    await stack.waitReady('connector', 60_000);
    return stack;
  }

  private spawn(part: AppPart): void {
    const main = { 'access-core': APP_MAIN.accessCore, broker: APP_MAIN.broker, connector: APP_MAIN.connector }[part];
    const app = spawnApp(part, main, part === 'connector' ? ['run'] : [], this.env[part], {
      quiet: !(this.opts.verbose ?? false),
      onExit: (code) => {
        if (this.stopping || this.killing.has(part) || this.apps.get(part) !== app) return;
        this.opts.onCrash?.(part, code);
        // As a supervisor would: start it again, so the rest of the run still measures something.
        setTimeout(() => {
          if (!this.stopping && this.apps.get(part) === app) this.spawn(part);
        }, 1000);
      },
    });
    this.apps.set(part, app);
  }

  /** True once the part answers: its health check (the connector: its tunnel is up). */
  async isReady(part: StackPart): Promise<boolean> {
    try {
      switch (part) {
        case 'access-core':
          return (await httpGetJson(`${this.accessCoreUrl}/healthz`)).status === 200;
        case 'broker':
          return (await httpGetJson(`${this.brokerUrl}/healthz`)).status === 200;
        case 'connector': {
          const r = await httpGetJson(`${this.connectorBase}/status`);
          return r.status === 200 && (r.body as { online?: boolean } | undefined)?.online === true;
        }
        case 'broker-postgresql':
          return await new Promise<boolean>((resolve) => {
            const s = net.connect({ host: '127.0.0.1', port: this.postgres.port });
            s.once('connect', () => (s.destroy(), resolve(true)));
            s.once('error', () => resolve(false));
          });
        case 'broker-redis':
          return await redisPing(this.redis.port);
      }
    } catch {
      return false;
    }
  }

  waitReady(part: StackPart, timeoutMs = 60_000): Promise<void> {
    return waitFor(`${part} ready`, () => this.isReady(part), timeoutMs);
  }

  /** kill -9 of a process, or the outage of one of the broker's stores. */
  async stopPart(part: StackPart): Promise<void> {
    if (part === 'broker-postgresql') return this.postgres.stop();
    if (part === 'broker-redis') return this.redis.stop();
    this.killing.add(part);
    try {
      await this.apps.get(part)?.stop('SIGKILL', 10_000);
    } finally {
      this.killing.delete(part);
    }
  }

  /** Starts the part again (same address, same state) and returns at once. */
  async startPart(part: StackPart): Promise<void> {
    if (part === 'broker-postgresql') return this.postgres.start();
    if (part === 'broker-redis') return this.redis.start();
    this.spawn(part);
    return Promise.resolve();
  }

  /** The process is running (for "no process lost"). */
  alive(part: AppPart): boolean {
    const child = this.apps.get(part)?.child;
    return !!child && child.exitCode === null && child.signalCode === null;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.apps.get('connector')?.stop('SIGTERM', 10_000);
    await this.apps.get('broker')?.stop('SIGTERM', 15_000);
    await this.apps.get('access-core')?.stop('SIGTERM', 15_000);
    await this.redis.destroy().catch(() => undefined);
    await this.postgres.destroy().catch(() => undefined);
    await this.siteSchema.drop().catch(() => undefined);
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }
}
